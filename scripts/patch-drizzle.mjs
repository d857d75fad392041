// Cuts drizzle-orm's relational query builder (`db.query.*`) and its pg-core slice out of the
// Worker bundle (bench/README.md, "The Worker bundle"), and `db.transaction()` (which D1 cannot
// run), `db.$count()`, `db.$with()` and `db.with()`, the query cache and the OpenTelemetry
// tracer, none of them used. Hashyard never calls `db.query` and `drizzle(d1)` gets no schema,
// yet `d1/driver.js`, `sqlite-core/db.js` and `sqlite-core/dialect.js` import the relational code
// unconditionally (esbuild cannot drop class methods), and `sql/sql.js` imports `isPgEnum` from pg-core, which pulls pg-core's column classes.
// Run by `postinstall`, so `npm ci` applies it; the rules (exact text, a marked file is skipped,
// replaced by rename) are scripts/lib/patch-package.mjs's.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { patchPackage } from './lib/patch-package.mjs';

const PINNED = '0.45.4';
const MARK = '/* hashyard: patched by scripts/patch-drizzle.mjs */\n';
const NO_MIGRATOR = JSON.stringify('drizzle-orm as patched by scripts/patch-drizzle.mjs has no migrator: apply migrations/ with wrangler d1 migrations apply');
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** [file, [[text, replacement] | [start, end, replacement] ...]]; a range drops start up to (not including) end. */
const EDITS = [
  ['sql/sql.js', [
    // The same test pg-core's enum.js exports, without importing pg-core.
    [
      'import { isPgEnum } from "../pg-core/columns/enum.js";\n',
      'const isPgEnumSym = Symbol.for("drizzle:isPgEnum");\nfunction isPgEnum(obj) {\n  return !!obj && typeof obj === "function" && isPgEnumSym in obj && obj[isPgEnumSym] === true;\n}\n',
    ],
  ]],
  ['d1/driver.js', [
    ['import {\n  createTableRelationsHelpers,\n  extractTablesRelationalConfig\n} from "../relations.js";\n', ''],
    [
      '  if (config.schema) {\n',
      '  const session = new SQLiteD1Session(',
      '  if (config.schema) throw new Error("drizzle-orm as patched by scripts/patch-drizzle.mjs has no relational queries: call drizzle(d1) without a schema");\n',
    ],
  ]],
  ['sqlite-core/db.js', [
    ['import { RelationalQueryBuilder } from "./query-builders/query.js";\n', ''],
    ['    if (this._.schema) {\n', '    this.$cache = ', ''],
    // `db.$with()` (a named subquery for `db.with()`), never called; it and insert().select()'s
    // callback form (below) are all that kept the standalone QueryBuilder.
    ['  QueryBuilder,\n  SQLiteDeleteBase,\n', '  SQLiteDeleteBase,\n'],
    ['import { WithSubquery } from "../subquery.js";\n', ''],
    [
      '  $with = (alias, selection) => {\n',
      '  $count(source, filters) {\n',
      '  $with = () => {\n    throw new Error("drizzle-orm as patched by scripts/patch-drizzle.mjs has no db.$with(): write the subquery inline");\n  };\n',
    ],
    // `db.$count()`, never called (lists count with `count()` in their own batch), a class method
    // esbuild cannot drop, so its builder shipped.
    ['import { SQLiteCountBuilder } from "./query-builders/count.js";\n', ''],
    [
      '  $count(source, filters) {\n    return new SQLiteCountBuilder({ source, filters, session: this.session });\n  }\n',
      '  $count() {\n    throw new Error("drizzle-orm as patched by scripts/patch-drizzle.mjs has no db.$count(): select count() instead");\n  }\n',
    ],
    // `db.with()` (a query with CTEs named by `db.$with()`), never called.
    [
      '  with(...queries) {\n',
      '  select(fields) {\n',
      '  with() {\n    throw new Error("drizzle-orm as patched by scripts/patch-drizzle.mjs has no db.with(): write the subquery inline");\n  }\n',
    ],
  ]],
  ['sqlite-core/dialect.js', [
    ['import {\n  getOperators,\n  getOrderByOperators,\n  Many,\n  normalizeRelation,\n  One\n} from "../relations.js";\n', ''],
    // SQLiteDialect's last method, up to the class's end.
    ['  buildRelationalQuery({\n', 'class SQLiteSyncDialect extends SQLiteDialect {\n', '}\n'],
    // drizzle's own migrator (`drizzle-orm/d1/migrator`); wrangler applies migrations/ instead.
    ['  migrate(migrations, session, config) {\n', 'class SQLiteAsyncDialect extends SQLiteDialect {\n', `  migrate() {\n    throw new Error(${NO_MIGRATOR});\n  }\n}\n`],
    ['  async migrate(migrations, session, config) {\n', 'export {\n', `  async migrate() {\n    throw new Error(${NO_MIGRATOR});\n  }\n}\n`],
  ]],
  // `db.transaction()` runs BEGIN … COMMIT as separate statements, which D1 does not support
  // (no interactive transactions; Hashyard batches with `db.batch()`), and its transaction class
  // is a whole second database object.
  ['d1/session.js', [
    ['import { SQLiteTransaction } from "../sqlite-core/index.js";\n', ''],
    [
      '  async transaction(transaction, config) {\n',
      'function d1ToRawMapping(results) {\n',
      '  async transaction() {\n    throw new Error("drizzle-orm as patched by scripts/patch-drizzle.mjs has no db.transaction(): D1 has no interactive transactions, use db.batch()");\n  }\n}\n',
    ],
    ['  D1Transaction,\n', ''],
  ]],
  ['sqlite-core/session.js', [
    // drizzle's query cache (`drizzle(d1, { cache })`): never configured here, so every query took
    // the no-cache branch; that branch is all that is left.
    ['import { hashQuery, NoopCache } from "../cache/core/cache.js";\n', ''],
    [
      '    if (this.cache === void 0 || is(this.cache, NoopCache) || this.queryMetadata === void 0) {\n',
      '  getQuery() {\n',
      '    try {\n      return await query();\n    } catch (e) {\n      throw new DrizzleQueryError(queryString, params, e);\n    }\n  }\n',
    ],
    ['import { DrizzleError, DrizzleQueryError, TransactionRollbackError } from "../errors.js";\n', 'import { DrizzleError, DrizzleQueryError } from "../errors.js";\n'],
    ['import { BaseSQLiteDatabase } from "./db.js";\n', ''],
    ['class SQLiteTransaction extends BaseSQLiteDatabase {\n', 'export {\n', ''],
    ['  SQLiteSession,\n  SQLiteTransaction\n};', '  SQLiteSession\n};'],
  ]],
  // OpenTelemetry spans: `otel` is never assigned in this version, so every span ran `fn()` alone.
  ['tracing.js', [
    ['import { iife } from "./tracing-utils.js";\nimport { npmVersion } from "./version.js";\n', ''],
    ['let otel;\n', 'export {\n', 'const tracer = {\n  startActiveSpan(name, fn) {\n    return fn();\n  }\n};\n'],
  ]],
  // insert().select() with a callback building the query (activity's INSERT … SELECT passes sql).
  ['sqlite-core/query-builders/insert.js', [
    ['import { QueryBuilder } from "./query-builder.js";\n', ''],
    [
      '    const select = typeof selectQuery === "function" ? selectQuery(new QueryBuilder()) : selectQuery;\n',
      '    if (typeof selectQuery === "function") throw new Error("drizzle-orm as patched by scripts/patch-drizzle.mjs: insert().select() takes a query or sql, not a callback");\n    const select = selectQuery;\n',
    ],
  ]],
  // `sqliteTable(name, (t) => ({ ... }))` hands every column builder to the callback, so blob,
  // numeric and customType would ship; src/db/schema.ts declares its columns as objects.
  ['sqlite-core/table.js', [
    ['import { getSQLiteColumnBuilders } from "./columns/all.js";\n', ''],
    [
      'typeof columns === "function" ? columns(getSQLiteColumnBuilders()) : columns;',
      'typeof columns === "function" ? (() => { throw new Error("drizzle-orm as patched by scripts/patch-drizzle.mjs: declare a table\'s columns as an object, not a callback"); })() : columns;',
    ],
  ]],
];

const patched = await patchPackage({ root, name: 'drizzle-orm', pinned: PINNED, mark: MARK, edits: EDITS, script: 'scripts/patch-drizzle.mjs' });
if (patched > 0) console.log(`patch-drizzle: drizzle-orm ${PINNED}: ${patched} file(s) patched (relational queries, pg-core, transactions, $count, $with/with, cache and tracer out of the bundle)`);
