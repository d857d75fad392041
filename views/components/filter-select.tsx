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
