import { Fragment, h } from '#jsx';
import type { Child } from 'hono/jsx';
import type { FieldErrors } from '../../src/lib/errors';

interface FieldProps {
  label: string;
  name: string;
  value?: string | null;
  errors?: FieldErrors;
  type?: 'text' | 'email' | 'password' | 'tel' | 'search';
  required?: boolean;
  hint?: string;
  autocomplete?: string;
  placeholder?: string;
  maxlength?: number;
  pattern?: string;
}

const describedBy = (name: string, error?: string, hint?: string) =>
  [error ? `${name}-error` : null, hint ? `${name}-hint` : null].filter(Boolean).join(' ') || undefined;

export function FieldMessages(props: { name: string; error?: string; hint?: string }) {
  return (
    <>
      {props.hint && (
        <p class="hint" id={`${props.name}-hint`}>
          {props.hint}
        </p>
      )}
      {props.error && (
        <p class="field-error" id={`${props.name}-error`}>
          {props.error}
        </p>
      )}
    </>
  );
}

export function TextField(props: FieldProps) {
  const error = props.errors?.[props.name];
  return (
    <div class={error ? 'field has-error' : 'field'}>
      <label for={`f-${props.name}`}>
        {props.label}
        {props.required ? <span class="required"> (required)</span> : <span class="optional"> (optional)</span>}
      </label>
      <input
        id={`f-${props.name}`}
        name={props.name}
        type={props.type ?? 'text'}
        value={props.value ?? ''}
        required={props.required}
        autocomplete={props.autocomplete}
        placeholder={props.placeholder}
        maxlength={props.maxlength}
        pattern={props.pattern}
        aria-invalid={error ? 'true' : undefined}
        aria-describedby={describedBy(props.name, error, props.hint)}
      />
      <FieldMessages name={props.name} error={error} hint={props.hint} />
    </div>
  );
}

export function TextArea(props: Omit<FieldProps, 'type'> & { rows?: number }) {
  const error = props.errors?.[props.name];
  return (
    <div class={error ? 'field has-error' : 'field'}>
      <label for={`f-${props.name}`}>
        {props.label}
        {props.required ? <span class="required"> (required)</span> : <span class="optional"> (optional)</span>}
      </label>
      <textarea
        id={`f-${props.name}`}
        name={props.name}
        rows={props.rows ?? 4}
        maxlength={props.maxlength}
        aria-invalid={error ? 'true' : undefined}
        aria-describedby={describedBy(props.name, error, props.hint)}
      >
        {props.value ?? ''}
      </textarea>
      <FieldMessages name={props.name} error={error} hint={props.hint} />
    </div>
  );
}

export function SelectField(props: {
  label: string;
  name: string;
  value?: string | null;
  errors?: FieldErrors;
  options: ReadonlyArray<readonly [value: string, label: string]>;
  hint?: string;
  required?: boolean;
}) {
  const error = props.errors?.[props.name];
  return (
    <div class={error ? 'field has-error' : 'field'}>
      <label for={`f-${props.name}`}>{props.label}</label>
      <select
        id={`f-${props.name}`}
        name={props.name}
        required={props.required}
        aria-invalid={error ? 'true' : undefined}
        aria-describedby={describedBy(props.name, error, props.hint)}
      >
        {props.options.map(([value, label]) => (
          <option value={value} selected={value === (props.value ?? '')}>
            {label}
          </option>
        ))}
      </select>
      <FieldMessages name={props.name} error={error} hint={props.hint} />
    </div>
  );
}

/** A checkbox styled as a switch; unchecked posts nothing, which the form mapping reads as false. */
export function Toggle(props: { label: string; name: string; checked: boolean; hint?: string; errors?: FieldErrors }) {
  const error = props.errors?.[props.name];
  return (
    <div class={error ? 'field toggle has-error' : 'field toggle'}>
      <label for={`f-${props.name}`}>
        <input id={`f-${props.name}`} type="checkbox" role="switch" name={props.name} checked={props.checked} />
        <span class="switch" aria-hidden="true"></span>
        {props.label}
      </label>
      <FieldMessages name={props.name} error={error} hint={props.hint} />
    </div>
  );
}

/** The summary at the top of a form that failed: says how many fields need attention. */
export function FormErrorSummary(props: { errors?: FieldErrors; message?: string }) {
  const count = props.errors ? Object.keys(props.errors).length : 0;
  if (count === 0 && !props.message) return null;
  const general = props.errors?._;
  return (
    <div class="alert alert-error" role="alert">
      {props.message ?? (count === 1 ? 'One field needs attention.' : `${count} fields need attention.`)}
      {general && <div>{general}</div>}
    </div>
  );
}

export function Card(props: { title?: string; children: Child; class?: string }) {
  return (
    <section class={`card ${props.class ?? ''}`}>
      {props.title && <h2 class="card-title">{props.title}</h2>}
      {props.children}
    </section>
  );
}

export function EmptyState(props: { title: string; children?: Child }) {
  return (
    <div class="empty-state">
      <h3>{props.title}</h3>
      {props.children}
    </div>
  );
}
