import { env } from 'cloudflare:test';
import { eq, getTableColumns, is } from 'drizzle-orm';
import { CasingCache } from 'drizzle-orm/casing';
import { getTableConfig, SQLiteTable } from 'drizzle-orm/sqlite-core';
import { describe, expect, it } from 'vitest';
import { DB_CASING, getDb } from '../../src/db/client';
import * as schema from '../../src/db/schema';
import { customers } from '../../src/db/schema';
import { createHost, createTestCustomer } from '../helpers/fixtures';

// schema.ts declares columns by key alone and getDb names them by drizzle's snake_case of the key
// (src/db/client.ts): every table's SQL names, as drizzle will write them, against the migrated
// database's (test/helpers/apply-migrations.ts), so a key whose snake_case is not its column's
// name fails here rather than in the first query that touches it. (table_xinfo: generated
// columns, such as customers.search_text, are hidden from table_info.)
const tables = Object.values(schema).filter((value) => is(value, SQLiteTable));

describe('schema.ts names the migrated database’s columns', () => {
  it('every table: the same column names as the migrations left, no more, no fewer', async () => {
    const casing = new CasingCache(DB_CASING);
    expect(tables.length).toBeGreaterThan(50);
    for (const table of tables) {
      const { name } = getTableConfig(table);
      const declared = Object.values(getTableColumns(table)).map((column) => casing.getColumnCasing(column)).sort();
      const { results } = await env.DB.prepare('SELECT name FROM pragma_table_xinfo(?) ORDER BY name').bind(name).all<{ name: string }>();
      expect({ table: name, columns: declared }).toEqual({ table: name, columns: results.map((row) => row.name).sort() });
    }
  });

  it('queries through getDb write the snake_case names and read them back by key', async () => {
    const host = await createHost();
    const customer = await createTestCustomer(host, { name: 'Casing Hashers', contact_email: 'casing@example.com' });
    const db = getDb(env.DB);
    const query = db.select({ hostId: customers.hostId, contactEmail: customers.contactEmail }).from(customers).where(eq(customers.id, customer.id));
    expect(query.toSQL().sql).toBe('select "host_id", "contact_email" from "customers" where "customers"."id" = ?');
    expect(await query).toEqual([{ hostId: host.hostId, contactEmail: 'casing@example.com' }]);
  });
});
