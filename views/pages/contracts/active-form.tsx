import { h } from '#jsx';
import type { ContractDetail } from '../../../src/contracts/service';
import type { FieldErrors } from '../../../src/lib/errors';
import { FormErrorSummary, TextArea, TextField, Toggle } from '../../components/form';

/** An active contract's terms are fixed; its notes and renewal can still change. */
export function ActiveContractForm(props: { action: string; contract: Pick<ContractDetail, 'name' | 'notes' | 'autoRenew' | 'renewalNoticeDays'>; errors?: FieldErrors; cancelHref: string }) {
  const c = props.contract;
  return (
    <form method="post" action={props.action} id="contract-form" hx-post={props.action} hx-target="this" hx-swap="outerHTML" novalidate>
      <h2>Edit {c.name}</h2>
      <FormErrorSummary errors={props.errors} />
      <p class="muted">An active contract’s terms are fixed. To change them, terminate it and make a new contract.</p>
      <Toggle label="Auto-renew for another term at the end" name="auto_renew" checked={c.autoRenew} errors={props.errors} />
      <TextField label="Renewal notice (days)" name="renewal_notice_days" value={String(c.renewalNoticeDays)} errors={props.errors} />
      <TextArea label="Notes" name="notes" value={c.notes ?? ''} errors={props.errors} maxlength={2000} />
      <div class="form-actions">
        <button type="submit" class="btn btn-primary">
          Save changes
        </button>
        <a class="btn" href={props.cancelHref}>
          Cancel
        </a>
      </div>
    </form>
  );
}
