/**
 * The Worker's validators: the subset of `zod/mini`'s API the schemas use, with its behaviour
 * (issue codes, paths, `continue`/abort rules, which message wins), in a fraction of its bytes
 * (zod/mini was ~35 KiB of the bundle, bench/README.md "The Worker bundle"). Call sites import it
 * as `import * as z from '../lib/schema'` and read exactly as they did with zod/mini.
 *
 * Rules copied from zod 4 (node_modules/zod/v4/core/schemas.js, checks.js, util.js):
 * - a schema parses, then runs its checks; a check is skipped once an issue without
 *   `continue: true` is raised, except length checks (`when`), which stop only on `continue: false`;
 * - a check's issue takes the check's message, else its schema's, else the default (`config`);
 * - `pipe` stops at the first issue; `union` takes the first option that passes, else the only
 *   option that failed without aborting, else reports `invalid_union`;
 * - an object reports an absent key only when its schema is not optional-in (`optin`), and
 *   leaves an absent optional key out of its output.
 */

// ---- types ----------------------------------------------------------------------------------

/** An issue while it is being raised (loosely typed: the checks fill in what their code needs). */
export interface Issue {
  code: string;
  message?: string | undefined;
  path?: PropertyKey[];
  input?: unknown;
  continue?: boolean;
  [detail: string]: unknown;
}

/** The issues by code, as zod types them (what src/lib/validation.ts reads for default messages). */
export type RawIssue = { message?: string | undefined; path?: PropertyKey[]; input?: unknown } & (
  | { code: 'invalid_type'; expected: string; format?: string }
  | { code: 'too_big'; origin: string; maximum: number; inclusive?: boolean; exact?: boolean }
  | { code: 'too_small'; origin: string; minimum: number; inclusive?: boolean; exact?: boolean }
  | { code: 'invalid_value'; values: readonly unknown[] }
  | { code: 'invalid_format'; format: string; pattern?: string; note?: string }
  | { code: 'not_multiple_of'; divisor: number }
  | { code: 'unrecognized_keys'; keys: string[] }
  | { code: 'invalid_union' | 'custom' }
);
export type FinalIssue = RawIssue & { message: string; path: PropertyKey[] };

/** What a transform or `superRefine` gets as its second argument: the value and the issues so far. */
export interface ParsePayload<T = unknown> {
  value: T;
  issues: Issue[];
  aborted?: boolean;
  addIssue?: (issue: Omit<Issue, 'code'> & { code?: string }) => void;
}
interface RefinementCtx<T> extends ParsePayload<T> {
  addIssue(issue: Omit<Issue, 'code'> & { code?: string }): void;
}

export interface SchemaError {
  issues: FinalIssue[];
}
export type SafeParseResult<T> = { success: true; data: T; error?: never } | { success: false; data?: never; error: SchemaError };

/** A check: `run` inspects (or, for trim and friends, rewrites) the payload's value. */
export interface Check<in T = never> {
  readonly '~t'?: (value: T) => void;
  run(payload: ParsePayload<any>): void;
  error?: string | undefined;
  when?: (payload: ParsePayload<any>) => boolean;
}

type Params = string | { error?: string; message?: string; abort?: boolean };
type RefineParams = string | { error?: string; message?: string; abort?: boolean; path?: PropertyKey[]; when?: (payload: ParsePayload<any>) => boolean };

/**
 * A schema. `O`/`I` are the output and input types; `In`/`Out` say whether an object may omit
 * the key on input / leaves it optional on output (zod's `optin`/`optout`, at the type level).
 */
export interface ZodMiniType<O = unknown, I = unknown, In extends boolean = boolean, Out extends boolean = boolean> {
  readonly '~o': O;
  readonly '~i': I;
  readonly '~in': In;
  readonly '~out': Out;
  /** zod's runtime `optin`/`optout` (transform is optional-in at run time, not in the types). */
  optin?: 'optional' | 'defaulted' | undefined;
  optout?: 'optional' | undefined;
  error?: string | undefined;
  checks: Check<any>[];
  parseType(payload: ParsePayload<any>): ParsePayload<any>;
  run(payload: ParsePayload<any>): ParsePayload<any>;
  check(...checks: Check<output<this>>[]): this;
  safeParse(input: unknown): SafeParseResult<output<this>>;
  parse(input: unknown): output<this>;
}
type Any = ZodMiniType<any, any, boolean, boolean>;
type Plain<O, I = O> = ZodMiniType<O, I, false, false>;

export type output<S> = S extends { readonly '~o': infer O } ? O : never;
export type input<S> = S extends { readonly '~i': infer I } ? I : never;
export type infer<S> = output<S>;

type Shape = Record<string, Any>;
type Prettify<T> = { [K in keyof T]: T[K] } & {};
type ObjectOutput<S extends Shape> = Prettify<
  { -readonly [K in keyof S as S[K]['~out'] extends true ? never : K]: output<S[K]> } & {
    -readonly [K in keyof S as S[K]['~out'] extends true ? K : never]?: output<S[K]>;
  }
>;
type ObjectInput<S extends Shape> = Prettify<
  { -readonly [K in keyof S as S[K]['~in'] extends true ? never : K]: input<S[K]> } & {
    -readonly [K in keyof S as S[K]['~in'] extends true ? K : never]?: input<S[K]>;
  }
>;
export interface ZodMiniObject<S extends Shape = Shape> extends ZodMiniType<ObjectOutput<S>, ObjectInput<S>, false, false> {
  shape: S;
  strict: boolean;
}

// ---- messages -------------------------------------------------------------------------------

let localeError: ((issue: RawIssue) => string | undefined) | undefined;

/** Installs the default messages (src/lib/validation.ts): zod's `config({ localeError })`. */
export function config(options: { localeError: (issue: RawIssue) => string | undefined }): void {
  localeError = options.localeError;
}

const messageOf = (params: Params | RefineParams | undefined): string | undefined =>
  typeof params === 'string' ? params : (params?.error ?? params?.message);

function finalize(issue: Issue): FinalIssue {
  const { continue: _continue, input: _input, ...rest } = issue;
  return { ...rest, path: issue.path ?? [], message: issue.message ?? localeError?.(issue as RawIssue) ?? 'Invalid input' } as FinalIssue;
}

const isAborted = (payload: ParsePayload<any>, from = 0, explicitOnly?: boolean): boolean =>
  payload.aborted === true || payload.issues.slice(from).some((issue) => (explicitOnly ? issue.continue === false : issue.continue !== true));

// ---- the schema core ------------------------------------------------------------------------

function schema<S extends Any>(parseType: (payload: ParsePayload<any>) => ParsePayload<any>, error?: string, extra?: Partial<Any>): S {
  const self = {
    error,
    checks: [] as Check<any>[],
    parseType,
    ...extra,
    run(payload: ParsePayload<any>): ParsePayload<any> {
      const result = this.parseType(payload);
      let aborted = isAborted(result);
      for (const check of this.checks) {
        if (check.when ? isAborted(result, 0, true) || !check.when(result) : aborted) continue;
        const before = result.issues.length;
        check.run(result);
        if (result.issues.length === before) continue;
        for (const issue of result.issues.slice(before)) issue.message ??= check.error ?? this.error;
        aborted ||= isAborted(result, before);
      }
      return result;
    },
    check(...checks: Check<any>[]) {
      return { ...this, checks: [...this.checks, ...checks] };
    },
    safeParse(input: unknown) {
      const { value, issues } = this.run({ value: input, issues: [] });
      return issues.length ? { success: false, error: { issues: issues.map(finalize) } } : { success: true, data: value };
    },
    parse(input: unknown) {
      const result = this.safeParse(input) as SafeParseResult<unknown>;
      if (!result.success) throw new Error(prettifyError(result.error));
      return result.data;
    },
  };
  return self as unknown as S;
}

/** A schema that accepts what `accepts` says, else reports `issue(input)` with its own message. */
const simple = <S extends Any>(accepts: (value: any) => boolean, issue: (input: unknown) => Issue, params?: Params, coerce?: (value: unknown) => unknown) => {
  const error = messageOf(params);
  return schema<S>((payload) => {
    if (coerce) payload.value = coerce(payload.value);
    if (!accepts(payload.value)) payload.issues.push({ ...issue(payload.value), input: payload.value, message: error });
    return payload;
  }, error);
};

const typeIssue = (expected: string) => () => ({ code: 'invalid_type', expected });

// ---- primitives -----------------------------------------------------------------------------

export const string = (params?: Params) => simple<Plain<string>>((value) => typeof value === 'string', typeIssue('string'), params);

const isNumber = (value: unknown) => typeof value === 'number' && Number.isFinite(value);
export const number = (params?: Params) => simple<Plain<number>>(isNumber, typeIssue('number'), params);
export const boolean = (params?: Params) => simple<Plain<boolean>>((value) => typeof value === 'boolean', typeIssue('boolean'), params);
const nullSchema = (params?: Params) => simple<Plain<null>>((value) => value === null, typeIssue('null'), params);
export { nullSchema as null };

export const coerce = {
  number: (params?: Params) => simple<Plain<number, unknown>>(isNumber, typeIssue('number'), params, Number),
};

export const literal = <const L extends string | number | boolean | null>(value: L, params?: Params) =>
  simple<Plain<L>>((input) => input === value, () => ({ code: 'invalid_value', values: [value] }), params);

const enumSchema = <const T extends readonly string[]>(values: T, params?: Params) =>
  simple<Plain<T[number]>>((input) => values.includes(input), () => ({ code: 'invalid_value', values }), params);
export { enumSchema as enum };

// ---- string formats -------------------------------------------------------------------------

/** A string schema with one format check whose issue takes the schema's message. */
const format = (name: string, pattern: RegExp, params?: Params) =>
  string(params).check({
    run(payload) {
      if (!pattern.test(payload.value)) payload.issues.push({ origin: 'string', code: 'invalid_format', format: name, input: payload.value, continue: true });
    },
  });

/** zod's `email` pattern (node_modules/zod/v4/core/regexes.js, `email`). */
const EMAIL = /^(?:[A-Za-z0-9_'+\-]+\.)*[A-Za-z0-9_'+\-]*[A-Za-z0-9_+-]@(?:[A-Za-z0-9][A-Za-z0-9\-]*\.)+[A-Za-z]{2,}$/;
export const email = (params?: Params) => format('email', EMAIL, params);

/**
 * zod's `url`: trimmed, parsed by `URL`, and with `protocol` checked against the scheme; an http(s)
 * protocol pattern also wants `://` (node_modules/zod/v4/core/schemas.js, `$ZodURL`).
 */
export const url = (params: { protocol?: RegExp; error?: string }) =>
  string(params).check({
    run(payload) {
      const trimmed = (payload.value as string).trim();
      const protocol = params.protocol;
      let parsed: URL | null = null;
      try {
        if (protocol?.source !== '^https?$' || /^https?:\/\//i.test(trimmed)) parsed = new URL(trimmed);
      } catch {}
      const push = (note?: string) => payload.issues.push({ code: 'invalid_format', format: 'url', ...(note ? { note } : {}), input: payload.value, continue: true });
      if (!parsed) return push();
      if (protocol && !protocol.test(parsed.protocol.replace(/:$/, ''))) push('Invalid protocol');
      payload.value = trimmed.replace(/[\t\n\r]/g, '');
    },
  });

/** zod's ISO date and date-time patterns (node_modules/zod/v4/core/regexes.js, `date`, `datetime`). */
const DATE = `(?:(?:\\d\\d[2468][048]|\\d\\d[13579][26]|\\d\\d0[48]|[02468][048]00|[13579][26]00)-02-29|\\d{4}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12]\\d|3[01])|(?:0[469]|11)-(?:0[1-9]|[12]\\d|30)|(?:02)-(?:0[1-9]|1\\d|2[0-8])))`;
export const iso = {
  date: (params?: Params) => format('date', new RegExp(`^${DATE}$`), params),
  /** Seconds required, any fraction; `Z`, or with `offset` also ±hh:mm. */
  datetime: (options: { offset?: boolean } & Exclude<Params, string> = {}) =>
    format(
      'datetime',
      new RegExp(`^${DATE}T(?:[01]\\d|2[0-3]):[0-5]\\d:[0-5]\\d(?:\\.\\d+)?(?:Z${options.offset ? '|([+-](?:[01]\\d|2[0-3]):[0-5]\\d)' : ''})$`),
      options,
    ),
};

// ---- wrappers -------------------------------------------------------------------------------

export const optional = <S extends Any>(inner: S) =>
  schema<ZodMiniType<output<S> | undefined, input<S> | undefined, true, true>>(
    (payload) => {
      if (payload.value !== undefined) return inner.run(payload);
      if (inner.optin !== 'defaulted') return payload;
      const result = inner.run({ value: undefined, issues: [] });
      payload.value = result.issues.length ? undefined : result.value;
      return payload;
    },
    undefined,
    { optin: inner.optin === 'defaulted' ? 'defaulted' : 'optional', optout: 'optional' },
  );

export const nullable = <S extends Any>(inner: S) =>
  schema<ZodMiniType<output<S> | null, input<S> | null, S['~in'], S['~out']>>((payload) => (payload.value === null ? payload : inner.run(payload)), undefined, {
    optin: inner.optin,
    optout: inner.optout,
  });

export const _default = <S extends Any>(inner: S, value: Exclude<output<S>, undefined>) =>
  schema<ZodMiniType<Exclude<output<S>, undefined>, input<S> | undefined, true, false>>(
    (payload) => {
      if (payload.value === undefined) {
        payload.value = value;
        return payload;
      }
      const result = inner.run(payload);
      if (result.value === undefined) result.value = value;
      return result;
    },
    undefined,
    { optin: 'defaulted' },
  );

/** Runs `out` on what `in` produced, unless `in` raised any issue (then the pipe stops there). */
export const pipe = <const A extends Any, B extends ZodMiniType<unknown, output<A>> = ZodMiniType<unknown, output<A>>>(first: A, then: B | ZodMiniType<unknown, output<A>>) =>
  schema<ZodMiniType<output<B>, input<A>, A['~in'], B['~out']>>(
    (payload) => {
      const left = first.run(payload);
      if (left.issues.some((issue) => issue.code !== 'unrecognized_keys')) {
        left.aborted = true;
        return left;
      }
      return then.run({ value: left.value, issues: left.issues });
    },
    undefined,
    { optin: first.optin, optout: then.optout },
  );

/** Replaces the value; `ctx.issues.push(...)` (src/lib/validation.ts `addIssue`) and `return NEVER` to fail. */
export const transform = <I = unknown, O = I>(fn: (value: I, ctx: ParsePayload<I>) => O) =>
  schema<ZodMiniType<O, I, false, false>>(
    (payload) => {
      payload.value = fn(payload.value, payload);
      return payload;
    },
    undefined,
    { optin: 'optional' },
  );

/** zod's `NEVER`: what a transform returns after reporting an issue. */
export const NEVER = Object.freeze({ status: 'aborted' }) as never;

export const union = <const T extends readonly Any[]>(options: T, params?: Params) => {
  const error = messageOf(params);
  return schema<ZodMiniType<output<T[number]>, input<T[number]>, T[number]['~in'] extends false ? false : true, T[number]['~out'] extends false ? false : true>>(
    (payload) => {
      if (options.length === 1) return options[0]!.run(payload);
      const results: ParsePayload<any>[] = [];
      for (const option of options) {
        const result = option.run({ value: payload.value, issues: [] });
        if (result.issues.length === 0) return result;
        results.push(result);
      }
      const live = results.filter((result) => !isAborted(result));
      if (live.length === 1) return live[0]!;
      payload.issues.push({ code: 'invalid_union', input: payload.value, errors: results.map((result) => result.issues.map(finalize)), message: error });
      return payload;
    },
    error,
    {
      optin: options.some((option) => option.optin === 'defaulted') ? 'defaulted' : options.some((option) => option.optin) ? 'optional' : undefined,
      optout: options.some((option) => option.optout) ? 'optional' : undefined,
    },
  );
};

export const array = <S extends Any>(element: S, params?: Params) => {
  const error = messageOf(params);
  return schema<ZodMiniType<output<S>[], input<S>[], false, false>>((payload) => {
    const input = payload.value;
    if (!Array.isArray(input)) {
      payload.issues.push({ code: 'invalid_type', expected: 'array', input, message: error });
      return payload;
    }
    payload.value = input.map((item, index) => {
      const result = element.run({ value: item, issues: [] });
      payload.issues.push(...prefix(index, result.issues));
      return result.value;
    });
    return payload;
  }, error);
};

const prefix = (key: PropertyKey, issues: Issue[]) => issues.map((issue) => ({ ...issue, path: [key, ...(issue.path ?? [])] }));

// ---- objects --------------------------------------------------------------------------------

const objectSchema = <S extends Shape>(shape: S, strict: boolean, params?: Params): ZodMiniObject<S> => {
  const error = messageOf(params);
  return schema<ZodMiniObject<S>>(
    (payload) => {
      const input = payload.value;
      if (typeof input !== 'object' || input === null || Array.isArray(input)) {
        payload.issues.push({ code: 'invalid_type', expected: 'object', input, message: error });
        return payload;
      }
      const output: Record<string, unknown> = {};
      payload.value = output;
      for (const key of Object.keys(shape)) {
        if (key === '__proto__') continue;
        const field = shape[key]!;
        const result = field.run({ value: input[key], issues: [] });
        const present = key in input;
        const optionalOut = field.optout === 'optional';
        if (!present && optionalOut && field.optin === 'optional') continue;
        if (result.issues.length) {
          if (field.optin && optionalOut && !present) continue;
          payload.issues.push(...prefix(key, result.issues));
        }
        // (zod reports a "nonoptional" issue for an absent key whose schema is not optional-in yet
        // passed undefined; none of these schemas can: every one that accepts undefined is optional-in.)
        if (result.value !== undefined) output[key] = result.value;
        else if (present || (field.optin === 'defaulted' && !optionalOut)) output[key] = undefined;
      }
      const unknownKeys = strict ? Object.keys(input).filter((key) => !Object.hasOwn(shape, key)) : [];
      if (unknownKeys.length) payload.issues.push({ code: 'unrecognized_keys', keys: unknownKeys, input, continue: true, message: error });
      return payload;
    },
    error,
    { shape, strict } as Partial<Any>,
  );
};

/** An object that drops keys its shape does not name. */
export const object = <S extends Shape>(shape: S, params?: Params) => objectSchema(shape, false, params);
/** An object that reports keys its shape does not name (`unrecognized_keys`). */
export const strictObject = <S extends Shape>(shape: S, params?: Params) => objectSchema(shape, true, params);

type Mask<S> = { [K in keyof S]?: true };
/** A new object of `shape` as strict as `source`; like zod, refuses a source with refinements (they could not hold). */
const reshape = <S extends Shape>(source: ZodMiniObject<Shape>, shape: S, name: string) => {
  if (source.checks.length) throw new Error(`.${name}() cannot be used on object schemas containing refinements`);
  return objectSchema(shape, source.strict, source.error);
};

export const partial = <S extends Shape>(source: ZodMiniObject<S>) =>
  reshape(source, Object.fromEntries(Object.entries(source.shape).map(([key, field]) => [key, optional(field)])) as { [K in keyof S]: ReturnType<typeof optional<S[K]>> }, 'partial');

export const pick = <S extends Shape, M extends Mask<S>>(source: ZodMiniObject<S>, mask: M) =>
  reshape(source, Object.fromEntries(Object.entries(source.shape).filter(([key]) => key in mask)) as Pick<S, Extract<keyof M, keyof S>>, 'pick');

export const omit = <S extends Shape, M extends Mask<S>>(source: ZodMiniObject<S>, mask: M) =>
  reshape(source, Object.fromEntries(Object.entries(source.shape).filter(([key]) => !(key in mask))) as Omit<S, keyof M>, 'omit');

// ---- checks ---------------------------------------------------------------------------------

const overwrite = (fn: (value: string) => string): Check<string> => ({
  run(payload) {
    payload.value = fn(payload.value);
  },
});
export const trim = () => overwrite((value) => value.trim());
export const toLowerCase = () => overwrite((value) => value.toLowerCase());
export const toUpperCase = () => overwrite((value) => value.toUpperCase());

const hasLength = (payload: ParsePayload<any>) => payload.value != null && payload.value.length !== undefined;
/** Strings are measured in code points, as zod does. */
const lengthOf = (value: string | unknown[]) => (typeof value === 'string' ? [...value].length : value.length);
const originOf = (value: unknown) => (typeof value === 'string' ? 'string' : Array.isArray(value) ? 'array' : 'unknown');

const sizeCheck = (big: boolean, limit: number, params?: Params): Check<string | unknown[]> => ({
  error: messageOf(params),
  when: hasLength,
  run(payload) {
    const length = lengthOf(payload.value);
    if (big ? length <= limit : length >= limit) return;
    payload.issues.push({
      origin: originOf(payload.value),
      code: big ? 'too_big' : 'too_small',
      [big ? 'maximum' : 'minimum']: limit,
      inclusive: true,
      input: payload.value,
      continue: !(typeof params === 'object' && params.abort),
    });
  },
});
export const maxLength = (limit: number, params?: Params) => sizeCheck(true, limit, params);
export const minLength = (limit: number, params?: Params) => sizeCheck(false, limit, params);

const compare = (big: boolean, inclusive: boolean, limit: number, params?: Params): Check<number> => ({
  error: messageOf(params),
  run(payload) {
    const value: number = payload.value;
    if (big ? (inclusive ? value <= limit : value < limit) : inclusive ? value >= limit : value > limit) return;
    payload.issues.push({
      origin: 'number',
      code: big ? 'too_big' : 'too_small',
      [big ? 'maximum' : 'minimum']: limit,
      input: value,
      inclusive,
      continue: !(typeof params === 'object' && params.abort),
    });
  },
});
export const lt = (limit: number, params?: Params) => compare(true, false, limit, params);
export const lte = (limit: number, params?: Params) => compare(true, true, limit, params);
export const gt = (limit: number, params?: Params) => compare(false, false, limit, params);
export const gte = (limit: number, params?: Params) => compare(false, true, limit, params);
export const positive = (params?: Params) => gt(0, params);

/** A safe integer: a fraction aborts (`invalid_type`, expected `int`), as zod's `int` does. */
export const int = (params?: Params): Check<number> => ({
  error: messageOf(params),
  run(payload) {
    const value: number = payload.value;
    if (!Number.isInteger(value)) payload.issues.push({ code: 'invalid_type', expected: 'int', format: 'safeint', input: value, continue: false });
    else if (!Number.isSafeInteger(value)) {
      const big = value > 0;
      payload.issues.push({
        code: big ? 'too_big' : 'too_small',
        [big ? 'maximum' : 'minimum']: big ? Number.MAX_SAFE_INTEGER : Number.MIN_SAFE_INTEGER,
        origin: 'int',
        inclusive: true,
        input: value,
        continue: !(typeof params === 'object' && params.abort),
      });
    }
  },
});

export const regex = (pattern: RegExp, params?: Params): Check<string> => ({
  error: messageOf(params),
  run(payload) {
    pattern.lastIndex = 0;
    if (!pattern.test(payload.value)) {
      payload.issues.push({ origin: 'string', code: 'invalid_format', format: 'regex', input: payload.value, pattern: String(pattern), continue: !(typeof params === 'object' && params.abort) });
    }
  },
});

/** A custom check: fails with `custom` (at `path`, if given) when `fn` returns false. */
export const refine = <T>(fn: (value: T) => unknown, params?: RefineParams): Check<T> => {
  const options = typeof params === 'object' ? params : {};
  return {
    error: messageOf(params),
    when: options.when,
    run(payload) {
      if (fn(payload.value)) return;
      payload.issues.push({ code: 'custom', input: payload.value, path: [...(options.path ?? [])], continue: !options.abort });
    },
  };
};

/** A custom check that reports its own issues through `ctx.addIssue` (they do not abort). */
export const superRefine = <T>(fn: (value: T, ctx: RefinementCtx<T>) => void): Check<T> => ({
  run(payload) {
    payload.addIssue = (issue) => {
      payload.issues.push({ code: 'custom', input: payload.value, continue: true, ...issue });
    };
    fn(payload.value, payload as RefinementCtx<T>);
  },
});

// ---- errors ---------------------------------------------------------------------------------

/** zod's `prettifyError` (node_modules/zod/v4/core/errors.js): one "✖ message" line per issue, shortest path first. */
export function prettifyError(error: SchemaError): string {
  const lines: string[] = [];
  for (const issue of [...error.issues].sort((a, b) => a.path.length - b.path.length)) {
    lines.push(`✖ ${issue.message}`);
    if (issue.path.length) {
      const path = issue.path
        .map((segment, index) =>
          typeof segment === 'number' ? `[${segment}]` : typeof segment === 'symbol' || /[^\w$]/.test(segment) ? `[${JSON.stringify(String(segment))}]` : `${index ? '.' : ''}${segment}`,
        )
        .join('');
      lines.push(`  → at ${path}`);
    }
  }
  return lines.join('\n');
}

/** The names validation.ts reads from zod's `core` namespace. */
export declare namespace core {
  export type $ZodRawIssue = RawIssue;
  export type $ZodError = SchemaError;
  export type ParsePayload<T = unknown> = Payload<T>;
}
type Payload<T> = ParsePayload<T>;
