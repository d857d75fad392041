import { env } from 'cloudflare:test';

/**
 * The real D1 binding, with a count of the statements prepared and the round trips made
 * through it (a batch is one round trip). Used to prove pages make a bounded number of
 * queries whatever the data size; every query still runs against real D1.
 */
export function countingD1(d1: D1Database) {
  const counts = { statements: 0, roundTrips: 0 };
  // batch() needs the runtime's own statement objects, so remember what each proxy wraps.
  const targets = new WeakMap<object, D1PreparedStatement>();
  const wrapStatement = (statement: D1PreparedStatement): D1PreparedStatement => {
    const proxy = new Proxy(statement, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver) as unknown;
        if (typeof value !== 'function') return value;
        if (prop === 'bind') return (...args: unknown[]) => wrapStatement((value as (...a: unknown[]) => D1PreparedStatement).apply(target, args));
        if (prop === 'all' || prop === 'first' || prop === 'run' || prop === 'raw') {
          return (...args: unknown[]) => {
            counts.roundTrips++;
            return (value as (...a: unknown[]) => unknown).apply(target, args);
          };
        }
        return (value as (...a: unknown[]) => unknown).bind(target);
      },
    });
    targets.set(proxy, statement);
    return proxy;
  };
  const unwrap = (statement: D1PreparedStatement) => targets.get(statement) ?? statement;
  const db = new Proxy(d1, {
    get(target, prop, receiver) {
      if (prop === 'prepare') {
        return (query: string) => {
          counts.statements++;
          return wrapStatement(target.prepare(query));
        };
      }
      if (prop === 'batch') {
        return (statements: D1PreparedStatement[]) => {
          counts.roundTrips++;
          return target.batch(statements.map(unwrap));
        };
      }
      const value = Reflect.get(target, prop, receiver) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { db, counts };
}

/**
 * The real D1 binding, recording each statement's SQL and bound values as the Worker sends them
 * (so a test can ask SQLite for the query plan of exactly what a page runs). A statement is
 * recorded when bound: drizzle binds every statement it sends, even one without values.
 */
export function recordingD1(d1: D1Database) {
  const statements: { sql: string; params: unknown[] }[] = [];
  const db = new Proxy(d1, {
    get(target, prop, receiver) {
      if (prop === 'prepare') {
        return (query: string) => {
          const statement = target.prepare(query);
          const bind = statement.bind.bind(statement);
          return Object.assign(statement, {
            bind: (...params: unknown[]) => {
              statements.push({ sql: query, params });
              return bind(...params);
            },
          });
        };
      }
      const value = Reflect.get(target, prop, receiver) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { db, statements };
}

/** SQLite's plan for a statement recordingD1 saw, run on real D1: one line per step ("SEARCH miners USING …"). */
export async function planOf(statement: { sql: string; params: unknown[] }, d1: D1Database = env.DB): Promise<string[]> {
  const { results } = await d1
    .prepare(`EXPLAIN QUERY PLAN ${statement.sql}`)
    .bind(...statement.params)
    .all<{ detail: string }>();
  return results.map((row) => row.detail);
}
