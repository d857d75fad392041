import { Fragment, h } from '#jsx';

/**
 * A list filter: a <select> with a visually hidden label, the current value selected, and the
 * options given as [value, label] pairs (an "All …" choice is simply the first pair, value '').
 */
export function FilterSelect(props: {
  id: string;
  name: string;
  label: string;
  value: string;
  options: ReadonlyArray<readonly [value: string, label: string]>;
}) {
  return (
    <>
      <label class="visually-hidden" for={props.id}>
        {props.label}
      </label>
      <select id={props.id} name={props.name}>
        {props.options.map(([value, label]) => (
          <option value={value} selected={props.value === value}>
            {label}
          </option>
        ))}
      </select>
    </>
  );
}

/** A list's free-text search box (`q`), with a visually hidden label, keeping what was typed. */
export function FilterSearch(props: { id: string; label: string; value: string; placeholder: string }) {
  return (
    <>
      <label class="visually-hidden" for={props.id}>
        {props.label}
      </label>
      <input id={props.id} type="search" name="q" value={props.value} placeholder={props.placeholder} autocomplete="off" />
    </>
  );
}
