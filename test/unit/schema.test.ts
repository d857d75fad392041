import { describe, expect, expectTypeOf, it } from 'vitest';
import * as z from '../../src/lib/schema';
// Installs the default messages ("Required.", "Use at most 5 characters.") every schema falls back on.
import '../../src/lib/validation';

/** The issues of a failed parse (path, code, message and the code's details). */
const issuesOf = (schema: z.ZodMiniType, input: unknown) => {
  const result = schema.safeParse(input);
  if (result.success) throw new Error(`expected ${JSON.stringify(input)} to fail`);
  return result.error.issues;
};
const dataOf = <S extends z.ZodMiniType>(schema: S, input: unknown): z.output<S> => {
  const result = schema.safeParse(input);
  if (!result.success) throw new Error(z.prettifyError(result.error));
  return result.data;
};

describe('primitives', () => {
  it('check the type and name it in the issue, with the schema’s message or the default', () => {
    expect(issuesOf(z.string(), 1)).toEqual([{ code: 'invalid_type', expected: 'string', path: [], message: 'Must be text.' }]);
    expect(issuesOf(z.string({ error: 'Name it.' }), undefined)).toEqual([{ code: 'invalid_type', expected: 'string', path: [], message: 'Name it.' }]);
    expect(issuesOf(z.number(), undefined)[0]!.message).toBe('Required.');
    expect(issuesOf(z.number(), Number.NaN)[0]).toMatchObject({ code: 'invalid_type', expected: 'number' });
    expect(issuesOf(z.number(), Infinity)[0]).toMatchObject({ code: 'invalid_type', expected: 'number' });
    expect(issuesOf(z.boolean(), 'true')[0]).toMatchObject({ code: 'invalid_type', expected: 'boolean', message: 'Must be a boolean.' });
    expect(issuesOf(z.null(), undefined)[0]).toMatchObject({ code: 'invalid_type', expected: 'null' });
    expect(dataOf(z.null(), null)).toBeNull();
  });

  it('literal and enum report the allowed values', () => {
    expect(issuesOf(z.literal('on', 'Tick it.'), 'off')).toEqual([{ code: 'invalid_value', values: ['on'], path: [], message: 'Tick it.' }]);
    expect(issuesOf(z.enum(['a', 'b']), 'c')).toEqual([{ code: 'invalid_value', values: ['a', 'b'], path: [], message: 'Choose one of: a, b.' }]);
    expect(dataOf(z.enum(['a', 'b']), 'b')).toBe('b');
  });

  it('coerce.number converts first, and reports what it could not convert', () => {
    expect(dataOf(z.coerce.number(), '12')).toBe(12);
    expect(dataOf(z.coerce.number(), '')).toBe(0);
    expect(issuesOf(z.coerce.number({ error: 'Must be a number.' }), 'x')).toMatchObject([{ code: 'invalid_type', expected: 'number', path: [], message: 'Must be a number.' }]);
  });
});

describe('checks', () => {
  it('overwrite the value in order (trim, then case) and measure what they left', () => {
    expect(dataOf(z.string().check(z.trim(), z.toUpperCase()), '  eur ')).toBe('EUR');
    expect(dataOf(z.string().check(z.trim(), z.toLowerCase()), ' #1F5EFF')).toBe('#1f5eff');
    expect(issuesOf(z.string().check(z.trim(), z.minLength(1, 'Required here.')), '   ')[0]!.message).toBe('Required here.');
  });

  it('all run after a failing check that does not abort, so every problem is reported', () => {
    const schema = z.string().check(z.minLength(3), z.regex(/^[a-z]+$/, 'Letters only.'), z.refine((v) => v !== 'A1', { message: 'Not A1.' }));
    expect(issuesOf(schema, 'A1')).toMatchObject([
      { code: 'too_small', origin: 'string', minimum: 3, inclusive: true, message: 'Use at least 3 characters.' },
      { code: 'invalid_format', format: 'regex', pattern: '/^[a-z]+$/', message: 'Letters only.' },
      { code: 'custom', message: 'Not A1.' },
    ]);
  });

  it('are skipped after the type failed; an aborting refine stops the checks after it', () => {
    expect(issuesOf(z.string().check(z.refine(() => false, 'never run')), 5)).toHaveLength(1);
    const schema = z.string().check(z.refine((v) => v.length > 1, { message: 'Too short.', abort: true }), z.refine(() => false, 'Not reached.'));
    expect(issuesOf(schema, 'x').map((issue) => issue.message)).toEqual(['Too short.']);
  });

  it('length is counted in code points, arrays in items', () => {
    expect(dataOf(z.string().check(z.maxLength(2)), '😀😀')).toBe('😀😀');
    expect(issuesOf(z.string().check(z.maxLength(1)), '😀😀')[0]).toMatchObject({ code: 'too_big', maximum: 1, message: 'Use at most 1 characters.' });
    expect(issuesOf(z.array(z.string()).check(z.maxLength(1)), ['a', 'b'])[0]).toMatchObject({ code: 'too_big', origin: 'array', message: 'Use at most 1 items.' });
  });

  it('compare numbers inclusively or not', () => {
    const schema = z.number().check(z.gte(1), z.lte(10));
    expect(dataOf(schema, 10)).toBe(10);
    expect(issuesOf(schema, 0)[0]).toMatchObject({ code: 'too_small', origin: 'number', minimum: 1, inclusive: true, message: 'Must be at least 1.' });
    expect(issuesOf(schema, 11)[0]).toMatchObject({ code: 'too_big', maximum: 10, message: 'Must be at most 10.' });
    expect(issuesOf(z.number().check(z.lt(10)), 10)[0]!.message).toBe('Must be less than 10.');
    expect(issuesOf(z.number().check(z.positive()), 0)[0]!.message).toBe('Must be more than 0.');
  });

  it('int aborts on a fraction (the later bounds stay quiet) and refuses unsafe integers', () => {
    const schema = z.number().check(z.int(), z.gte(5));
    expect(issuesOf(schema, 1.5)).toEqual([{ code: 'invalid_type', expected: 'int', format: 'safeint', path: [], message: 'Must be a whole number.' }]);
    expect(issuesOf(schema, 2 ** 60)[0]).toMatchObject({ code: 'too_big', origin: 'int', maximum: Number.MAX_SAFE_INTEGER });
  });

  it('a check without a message takes its schema’s', () => {
    expect(issuesOf(z.number({ error: 'Enter whole hours.' }).check(z.int(), z.gte(1)), 0.5)[0]!.message).toBe('Enter whole hours.');
    expect(issuesOf(z.number({ error: 'Enter whole hours.' }).check(z.int(), z.gte(1, 'At least one.')), 0)[0]!.message).toBe('At least one.');
  });
});

describe('string formats', () => {
  it('email: zod’s pattern, with the schema’s message for a wrong type too', () => {
    for (const ok of ['a@b.co', 'first.last+tag@sub.example.org', "o'neil@example.ie"]) expect(z.email().safeParse(ok).success, ok).toBe(true);
    for (const bad of ['a@b', 'a@b.c', 'a b@c.de', '.a@b.co', 'a@-b.co', 'a@b..co', '@b.co']) expect(z.email().safeParse(bad).success, bad).toBe(false);
    expect(issuesOf(z.email('Enter an email.'), 'nope')).toMatchObject([{ code: 'invalid_format', format: 'email', message: 'Enter an email.' }]);
    expect(issuesOf(z.email('Enter an email.'), 3)).toMatchObject([{ code: 'invalid_type', message: 'Enter an email.' }]);
    expect(issuesOf(z.email(), 'nope')[0]!.message).toBe('Enter a valid email address.');
  });

  it('url: parsed, trimmed, and with an http(s) protocol pattern also wanting "://"', () => {
    const http = z.url({ protocol: /^https?$/, error: 'http(s) only' });
    expect(dataOf(http, ' https://example.com/a?b=1 ')).toBe('https://example.com/a?b=1');
    for (const bad of ['javascript:alert(1)', 'data:text/html,x', 'https:example.com', 'ftp://example.com', 'not a url']) {
      expect(issuesOf(http, bad)).toMatchObject([{ code: 'invalid_format', format: 'url', message: 'http(s) only' }]);
    }
    expect(z.url({}).safeParse('mailto:a@b.co').success).toBe(true);
  });

  it('ISO date and date-time (with offset): zod’s patterns, leap days included', () => {
    for (const ok of ['2024-02-29', '2026-12-31']) expect(z.iso.date().safeParse(ok).success, ok).toBe(true);
    for (const bad of ['2023-02-29', '2026-13-01', '2026-1-01', '2026-12-31T00:00:00Z']) expect(z.iso.date().safeParse(bad).success, bad).toBe(false);
    const instant = z.iso.datetime({ offset: true });
    for (const ok of ['2026-12-03T18:29:16Z', '2026-12-03T18:29:16.123Z', '2026-12-03T18:29:16+05:30']) expect(instant.safeParse(ok).success, ok).toBe(true);
    for (const bad of ['2026-12-03T18:29Z', '2026-12-03 18:29:16Z', '2026-12-03T18:29:16', '2026-12-03T24:00:00Z']) expect(instant.safeParse(bad).success, bad).toBe(false);
    expect(z.iso.datetime().safeParse('2026-12-03T18:29:16+05:30').success).toBe(false);
    expect(issuesOf(z.iso.date(), 'x')[0]).toMatchObject({ code: 'invalid_format', format: 'date', message: 'Not in the expected format.' });
  });
});

describe('objects', () => {
  const shape = { name: z.string(), note: z.optional(z.string()) };

  it('strictObject reports unknown keys after the fields’ issues; object drops them', () => {
    expect(issuesOf(z.strictObject(shape), { name: 1, plan: 'gold', extra: 1 })).toMatchObject([
      { code: 'invalid_type', path: ['name'] },
      { code: 'unrecognized_keys', keys: ['plan', 'extra'], path: [] },
    ]);
    expect(dataOf(z.object(shape), { name: 'a', plan: 'gold' })).toEqual({ name: 'a' });
  });

  it('a missing required key is "Required."; a missing optional one stays out of the output', () => {
    expect(issuesOf(z.object(shape), {})).toEqual([{ code: 'invalid_type', expected: 'string', path: ['name'], message: 'Required.' }]);
    const parsed = dataOf(z.object(shape), { name: 'a' });
    expect('note' in parsed).toBe(false);
    expect('note' in dataOf(z.object(shape), { name: 'a', note: undefined })).toBe(true);
  });

  it('a transform fills an absent key (it accepts undefined, as in zod)', () => {
    expect(dataOf(z.object({ x: z.transform((value) => value ?? 'filled') }), {})).toEqual({ x: 'filled' });
  });

  it('refuse anything but a plain object', () => {
    for (const input of [null, [], 'x', 1]) expect(issuesOf(z.object(shape), input)).toMatchObject([{ code: 'invalid_type', expected: 'object', message: 'Must be an object.' }]);
  });

  it('_default fills an absent key without validating the default; optional keeps the default', () => {
    const schema = z.strictObject({ active: z._default(z.boolean(), true), role: z.optional(z._default(z.enum(['a', 'b']), 'a')) });
    expect(dataOf(schema, {})).toEqual({ active: true, role: 'a' });
    expect(dataOf(schema, { active: false, role: 'b' })).toEqual({ active: false, role: 'b' });
  });

  it('partial, pick and omit keep strictness, and refuse an object with refinements', () => {
    const base = z.strictObject({ a: z.string(), b: z.number(), c: z.boolean() });
    expect(dataOf(z.partial(base), { b: 1 })).toEqual({ b: 1 });
    expect(issuesOf(z.partial(base), { d: 1 })).toMatchObject([{ code: 'unrecognized_keys', keys: ['d'] }]);
    expect(dataOf(z.pick(base, { a: true }), { a: 'x' })).toEqual({ a: 'x' });
    expect(issuesOf(z.pick(base, { a: true }), { a: 'x', b: 1 })).toMatchObject([{ code: 'unrecognized_keys', keys: ['b'] }]);
    expect(dataOf(z.omit(base, { a: true, b: true }), { c: true })).toEqual({ c: true });
    expect(dataOf(z.pick(z.object(base.shape), { a: true }), { a: 'x', b: 1 })).toEqual({ a: 'x' });
    const refined = base.check(z.refine(() => true));
    expect(() => z.partial(refined)).toThrow(/cannot be used on object schemas containing refinements/);
    expect(() => z.omit(refined, { a: true })).toThrow(/omit/);
  });

  it('an object’s superRefine adds issues at a path, and runs only when the fields did not abort', () => {
    const schema = z.strictObject({ kind: z.enum(['url', 'manual']), url: z.optional(z.string().check(z.refine((v) => v.startsWith('https://'), 'Use https.'))) }).check(
      z.superRefine((value, ctx) => {
        if (value.kind === 'url' && !value.url) ctx.addIssue({ code: 'custom', path: ['url'], message: 'Enter the URL.' });
      }),
    );
    expect(issuesOf(schema, { kind: 'url' })).toEqual([{ code: 'custom', path: ['url'], message: 'Enter the URL.' }]);
    expect(issuesOf(schema, { kind: 'nope' }).map((issue) => issue.path)).toEqual([['kind']]);
    // a non-aborting field issue lets the object check run too
    expect(issuesOf(z.strictObject({ a: z.string().check(z.minLength(2)) }).check(z.refine(() => false, { message: 'Whole.', path: ['b'] })), { a: 'x' })).toMatchObject([
      { path: ['a'], code: 'too_small' },
      { path: ['b'], message: 'Whole.' },
    ]);
  });

  it('a refine with `when` runs even after a field aborted', () => {
    const schema = z.strictObject({ n: z.number(), s: z.optional(z.string()) }).check(
      z.refine((value) => Boolean(value.s), { message: 'Give s.', path: ['s'], when: (payload) => typeof payload.value === 'object' && payload.value !== null }),
    );
    expect(issuesOf(schema, { n: 'x' }).map((issue) => [issue.path.join('.'), issue.message])).toEqual([
      ['n', 'Must be a number.'],
      ['s', 'Give s.'],
    ]);
  });

  it('arrays prefix their items’ paths with the index', () => {
    expect(issuesOf(z.array(z.strictObject({ id: z.string() })), [{ id: 'a' }, { id: 2 }])).toMatchObject([{ path: [1, 'id'], code: 'invalid_type' }]);
    expect(issuesOf(z.array(z.string()), 'x')[0]!.message).toBe('Must be a list.');
  });
});

describe('wrappers', () => {
  it('optional passes undefined; nullable passes null; both validate anything else', () => {
    const schema = z.optional(z.nullable(z.string()));
    expect(dataOf(schema, undefined)).toBeUndefined();
    expect(dataOf(schema, null)).toBeNull();
    expect(issuesOf(schema, 1)).toHaveLength(1);
  });

  it('pipe feeds the output on, and stops at the first issue (the transform never sees a bad value)', () => {
    let calls = 0;
    const schema = z.pipe(z.string().check(z.trim(), z.maxLength(3)), z.transform((value) => (calls++, value.length)));
    expect(dataOf(schema, ' abc ')).toBe(3);
    expect(issuesOf(schema, 'abcd')).toHaveLength(1);
    expect(calls).toBe(1);
    // and the pipe's own checks are skipped after a failure inside it
    expect(issuesOf(schema.check(z.refine(() => false, 'not reached')), 'abcd').map((issue) => issue.message)).toEqual(['Use at most 3 characters.']);
  });

  it('a transform reports its own issue and returns NEVER', () => {
    const schema = z.pipe(z.string(), z.transform((value, ctx) => {
      if (!/^\d+$/.test(value)) {
        ctx.issues.push({ code: 'custom', message: 'Digits only.', input: ctx.value });
        return z.NEVER;
      }
      return Number(value);
    }));
    expect(dataOf(schema, '42')).toBe(42);
    expect(issuesOf(schema, '4x')).toEqual([{ code: 'custom', path: [], message: 'Digits only.' }]);
  });

  it('union: the first option that passes; else the only one that failed without aborting; else invalid_union', () => {
    const blankOrEmail = z.union([z.literal(''), z.email('Enter an email.')]);
    expect(dataOf(blankOrEmail, '')).toBe('');
    expect(issuesOf(blankOrEmail, 'nope')).toMatchObject([{ code: 'invalid_format', format: 'email', message: 'Enter an email.' }]);
    expect(issuesOf(z.union([z.string(), z.number()], { error: 'Enter a number.' }), true)).toEqual([
      {
        code: 'invalid_union',
        path: [],
        message: 'Enter a number.',
        errors: [[{ code: 'invalid_type', expected: 'string', path: [], message: 'Must be text.' }], [{ code: 'invalid_type', expected: 'number', path: [], message: 'Must be a number.' }]],
      },
    ]);
    expect(issuesOf(z.union([z.string(), z.number()]), true)[0]!.message).toBe('Not a valid value.');
    expect(dataOf(z.union([z.string(), z.number()]), 3)).toBe(3);
  });
});

describe('errors', () => {
  it('prettifyError lists messages shortest path first, with zod’s path notation', () => {
    const schema = z.strictObject({ to: z.email(), items: z.array(z.strictObject({ 'unit-id': z.string() })) });
    expect(z.prettifyError({ issues: issuesOf(schema, { to: 'x', items: [{ 'unit-id': 1 }], extra: 1 }) })).toBe(
      ['✖ Not a valid value.', '✖ Enter a valid email address.', '  → at to', '✖ Must be text.', '  → at items[0]["unit-id"]'].join('\n'),
    );
  });

  it('parse returns the data or throws with the messages', () => {
    expect(z.string().parse('a')).toBe('a');
    expect(() => z.string().check(z.minLength(32, 'SESSION_SECRET must be at least 32 characters')).parse('short')).toThrow(/SESSION_SECRET must be at least 32 characters/);
  });
});

describe('types', () => {
  it('infer outputs and inputs: optional keys, defaults, transforms', () => {
    const schema = z.strictObject({
      name: z.string(),
      note: z.optional(z.nullable(z.string())),
      active: z._default(z.boolean(), true),
      count: z.pipe(z.union([z.string(), z.number()]), z.transform((value) => Number(value))),
      kind: z.enum(['a', 'b']),
    });
    expectTypeOf<z.output<typeof schema>>().toEqualTypeOf<{ name: string; active: boolean; count: number; kind: 'a' | 'b'; note?: string | null | undefined }>();
    expectTypeOf<z.input<typeof schema>>().toEqualTypeOf<{ name: string; count: string | number; kind: 'a' | 'b'; note?: string | null | undefined; active?: boolean | undefined }>();
    expectTypeOf<z.infer<typeof schema>>().toEqualTypeOf<z.output<typeof schema>>();
    expectTypeOf<z.output<ReturnType<typeof z.partial<typeof schema.shape>>>>().toEqualTypeOf<Partial<z.output<typeof schema>>>();
    expectTypeOf(schema.safeParse({})).toEqualTypeOf<z.SafeParseResult<z.output<typeof schema>>>();
  });
});
