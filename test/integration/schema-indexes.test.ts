import { env } from 'cloudflare:test';
import { is } from 'drizzle-orm';
import { getTableConfig, SQLiteTable } from 'drizzle-orm/sqlite-core';
import { describe, expect, it } from 'vitest';
import { TABLE_FOREIGN_KEYS } from '../../src/db/foreign-keys';
import { COMPOSITE_PRIMARY_KEYS, TABLE_INDEXES } from '../../src/db/indexes';
import * as schema from '../../src/db/schema';

// The migrated database (test/helpers/apply-migrations.ts applies migrations/ as production does)
// against src/db/indexes.ts, both ways: an index a migration adds, drops or changes without the
// list, or a listed one no migration creates, fails here.
// D1 refuses pragma_table_info on its own `_cf_` tables.
const PRIMARY_KEY_COLUMNS = `SELECT m.name AS tbl, p.name AS col FROM sqlite_master m JOIN pragma_table_info(m.name) p
  WHERE m.type = 'table' AND m.name NOT LIKE '\\_cf\\_%' ESCAPE '\\' AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND p.pk > 0
  ORDER BY m.name, p.pk`;

// Every foreign key of every table (one row per key: none spans columns), as D1 enforces it.
const FOREIGN_KEYS = `SELECT m.name AS tbl, f."from" AS col, f."table" AS target, f."to" AS target_col, f.on_delete AS on_delete
  FROM sqlite_master m JOIN pragma_foreign_key_list(m.name) f
  WHERE m.type = 'table' AND m.name NOT LIKE '\\_cf\\_%' ESCAPE '\\' AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\'`;

describe('src/db/indexes.ts and src/db/foreign-keys.ts describe the migrated database', () => {
  it('lists every index, with its exact definition', async () => {
    const { results } = await env.DB.prepare("SELECT tbl_name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY tbl_name, name").all<{ tbl_name: string; sql: string }>();
    const migrated: Record<string, string[]> = {};
    for (const row of results) (migrated[row.tbl_name] ??= []).push(row.sql.replace(/\s+/g, ' ').trim());
    const listed = Object.fromEntries(Object.entries(TABLE_INDEXES).map(([table, statements]) => [table, [...statements].sort()]));
    for (const statements of Object.values(migrated)) statements.sort();
    expect(results.length).toBeGreaterThan(100);
    expect(listed).toEqual(migrated);
  });

  it('lists every composite primary key, in key order', async () => {
    const { results } = await env.DB.prepare(PRIMARY_KEY_COLUMNS).all<{ tbl: string; col: string }>();
    const keys: Record<string, string[]> = {};
    for (const row of results) (keys[row.tbl] ??= []).push(row.col);
    const composite = Object.fromEntries(Object.entries(keys).filter(([, columns]) => columns.length > 1));
    expect(Object.keys(keys).length).toBeGreaterThan(50);
    expect(COMPOSITE_PRIMARY_KEYS).toEqual(composite);
  });

  it('lists every foreign key, with its ON DELETE action (src/db/foreign-keys.ts)', async () => {
    const { results } = await env.DB.prepare(FOREIGN_KEYS).all<{ tbl: string; col: string; target: string; target_col: string; on_delete: string }>();
    const migrated: Record<string, string[]> = {};
    for (const key of results) {
      (migrated[key.tbl] ??= []).push(`${key.col} → ${key.target}.${key.target_col}${key.on_delete === 'NO ACTION' ? '' : ` ON DELETE ${key.on_delete}`}`);
    }
    for (const keys of Object.values(migrated)) keys.sort();
    const listed = Object.fromEntries(Object.entries(TABLE_FOREIGN_KEYS).map(([table, keys]) => [table, [...keys].sort()]));
    expect(results.length).toBeGreaterThan(90);
    expect(listed).toEqual(migrated);
  });

  it('schema.ts declares no indexes, composite keys or foreign keys of its own (they would ship in the Worker unread)', () => {
    const tables = Object.values(schema).filter((value) => is(value, SQLiteTable));
    expect(tables.length).toBeGreaterThan(50);
    const declaring = tables
      .map((table) => getTableConfig(table))
      .filter((config) => config.indexes.length + config.primaryKeys.length + config.uniqueConstraints.length + config.checks.length + config.foreignKeys.length > 0)
      .map((config) => config.name);
    expect(declaring).toEqual([]);
  });
});
