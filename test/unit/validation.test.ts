import { describe, expect, it } from 'vitest';
import * as z from '../../src/lib/schema';
import { csvCell } from '../../src/customers/csv';
import { createCustomerSchema, customerFormToInput, updateCustomerSchema } from '../../src/customers/schema';
import { ValidationError } from '../../src/lib/errors';
import { parseInput } from '../../src/lib/validation';
import { hostSettingsSchema, slugSchema } from '../../src/hosts/schema';

const fieldErrors = (fn: () => unknown): Record<string, string> => {
  try {
    fn();
  } catch (error) {
    if (error instanceof ValidationError) return error.fields ?? {};
    throw error;
  }
  throw new Error('expected a ValidationError');
};

describe('customer fields', () => {
  const valid = { name: 'Acme', contact_email: 'ops@acme.example' };

  it('requires a name and a valid contact email, and says so per field', () => {
    const errors = fieldErrors(() => parseInput(createCustomerSchema, { name: '   ', contact_email: 'not-an-email' }));
    expect(errors.name).toBe('Customer name is required.');
    expect(errors.contact_email).toMatch(/valid email/);
    expect(fieldErrors(() => parseInput(createCustomerSchema, {})).contact_email).toBe('Contact email is required.');
  });

  it('defaults both toggles on, trims text, lowercases emails and turns blanks into null', () => {
    const parsed = parseInput(createCustomerSchema, {
      ...valid,
      name: '  Acme  ',
      contact_email: ' Ops@ACME.example ',
      company_name: '',
      billing_email: '',
      phone: '',
      billing_currency: '',
      notes: '  ',
    });
    expect(parsed).toEqual({
      name: 'Acme',
      contact_email: 'ops@acme.example',
      company_name: null,
      billing_email: null,
      phone: null,
      billing_currency: null,
      notes: null,
      active: true,
      portal_access: true,
    });
  });

  it('checks the optional billing email, phone and ISO 4217 currency', () => {
    const errors = fieldErrors(() =>
      parseInput(createCustomerSchema, { ...valid, billing_email: 'billing@', phone: 'call me', billing_currency: 'XYZ' }),
    );
    expect(Object.keys(errors).sort()).toEqual(['billing_currency', 'billing_email', 'phone']);
    const ok = parseInput(createCustomerSchema, { ...valid, billing_email: 'AP@acme.example', phone: '+1 (512) 555-0100 ext 12', billing_currency: 'eur' });
    expect(ok.billing_email).toBe('ap@acme.example');
    expect(ok.billing_currency).toBe('EUR');
    expect(ok.phone).toBe('+1 (512) 555-0100 ext 12');
  });

  it('bounds lengths', () => {
    const errors = fieldErrors(() => parseInput(createCustomerSchema, { ...valid, name: 'x'.repeat(201), notes: 'y'.repeat(5001) }));
    expect(errors.name).toMatch(/at most 200/);
    expect(errors.notes).toMatch(/at most 5000/);
  });

  it('refuses unknown fields and non-boolean toggles (the API sends JSON)', () => {
    const errors = fieldErrors(() => parseInput(createCustomerSchema, { ...valid, plan: 'gold', active: 'yes' }));
    expect(errors.plan).toBe('Unknown field.');
    expect(errors.active).toMatch(/true or false/);
  });

  it('PATCH leaves absent fields out and still validates present ones', () => {
    expect(parseInput(updateCustomerSchema, { phone: null })).toEqual({ phone: null });
    expect(fieldErrors(() => parseInput(updateCustomerSchema, { contact_email: null })).contact_email).toBeDefined();
  });

  it('the admin form maps unchecked toggles to false and everything else onto the same names', () => {
    expect(customerFormToInput({ name: 'A', contact_email: 'a@b.example', active: 'on' })).toMatchObject({ active: true, portal_access: false });
  });
});

describe('slugs', () => {
  it('accept lowercase letters, digits and inner hyphens', () => {
    for (const slug of ['texasmine', 'pacific-mining', 'site-42', 'abc']) expect(slugSchema.safeParse(slug).success, slug).toBe(true);
  });
  it('refuse capitals, spaces, edge hyphens, too short, and reserved words', () => {
    for (const slug of ['TexasMine', 'texas mine', '-texas', 'texas-', 'ab', 'admin', 'api', 'x'.repeat(64)]) {
      expect(slugSchema.safeParse(slug).success, slug).toBe(false);
    }
  });
  it('settings also check currency and timezone lists', () => {
    const errors = fieldErrors(() => parseInput(hostSettingsSchema, { name: 'X', main_slug: 'xyz', default_currency: 'ABC', timezone: 'Mars/Olympus' }));
    expect(Object.keys(errors).sort()).toEqual(['default_currency', 'timezone']);
  });
});

describe('messages a schema does not name', () => {
  it('read like the named ones: required, type, size and choice, never zod’s developer wording', () => {
    const schema = z.strictObject({
      title: z.string().check(z.maxLength(5)),
      tags: z.array(z.string()).check(z.minLength(2)),
      count: z.number().check(z.gte(1), z.lt(10)),
      kind: z.enum(['a', 'b']),
      email: z.optional(z.email()),
      flag: z.optional(z.boolean()),
    });
    expect(fieldErrors(() => parseInput(schema, {}))).toMatchObject({ title: 'Required.', tags: 'Required.', count: 'Required.' });
    expect(fieldErrors(() => parseInput(schema, { title: 'too long', tags: ['x'], count: 0, kind: 'c', email: 'nope', flag: 'yes' }))).toEqual({
      title: 'Use at most 5 characters.',
      tags: 'Use at least 2 items.',
      count: 'Must be at least 1.',
      kind: 'Choose one of: a, b.',
      email: 'Enter a valid email address.',
      flag: 'Must be a boolean.',
    });
    expect(fieldErrors(() => parseInput(schema, { title: 1, tags: 'x', count: 10, kind: 'a' }))).toEqual({
      title: 'Must be text.',
      tags: 'Must be a list.',
      count: 'Must be less than 10.',
    });
  });
});

describe('CSV cells', () => {
  it('quote separators and defuse spreadsheet formulas', () => {
    expect(csvCell('plain')).toBe('plain');
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvCell('+1 512')).toBe("'+1 512");
    expect(csvCell(null)).toBe('');
    expect(csvCell(true)).toBe('true');
    // A number is never a formula: a negative amount stays a number a spreadsheet can add up.
    expect(csvCell(-42)).toBe('-42');
    expect(csvCell('-42')).toBe("'-42");
  });
});
