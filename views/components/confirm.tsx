import { h } from '#jsx';
import type { Child } from 'hono/jsx';

/**
 * A destructive action behind a confirmation, without JavaScript: a <details> opens a panel that
 * says what will happen, and only its button submits the form.
 */
export function ConfirmAction(props: {
  action: string;
  /** The button that opens the confirmation. */
  label: string;
  /** What happens, in one sentence. */
  consequence: Child;
  /** The button that does it. */
  confirmLabel: string;
  small?: boolean;
  disabled?: boolean;
  formClass?: string;
}) {
  return (
    <form method="post" action={props.action} class={props.formClass}>
      <details class="confirm">
        <summary class={props.small ? 'btn btn-small btn-danger-outline' : 'btn btn-danger-outline'}>{props.label}</summary>
        <div class="confirm-body">
          <p>{props.consequence}</p>
          <button type="submit" class="btn btn-danger" disabled={props.disabled}>
            {props.confirmLabel}
          </button>
        </div>
      </details>
    </form>
  );
}
