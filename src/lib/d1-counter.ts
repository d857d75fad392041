/**
 * A D1 binding that counts what goes through it: round trips (each batch() and each statement run
 * alone) and statements. Used by the development bench routes to report D1 queries per unit of
 * work (DESIGN.md §10); nothing in production uses it.
 */
export interface D1Counts {
  roundTrips: number;
  statements: number;
}

export function countingD1(d1: D1Database): { db: D1Database; counts: D1Counts } {
  const counts: D1Counts = { roundTrips: 0, statements: 0 };
  const originals = new WeakMap<object, D1PreparedStatement>();
  const wrap = (statement: D1PreparedStatement): D1PreparedStatement => {
    const proxy = new Proxy(statement, {
      get(target, prop) {
        if (prop === 'bind') return (...args: unknown[]) => wrap(target.bind(...args));
        if (prop === 'all' || prop === 'raw' || prop === 'run' || prop === 'first') {
          return (...args: unknown[]) => {
            counts.roundTrips += 1;
            counts.statements += 1;
            return (target[prop] as (...a: unknown[]) => unknown).apply(target, args);
          };
        }
        const value = Reflect.get(target, prop, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    originals.set(proxy, statement);
    return proxy;
  };
  const db = new Proxy(d1, {
    get(target, prop) {
      if (prop === 'prepare') return (query: string) => wrap(target.prepare(query));
      if (prop === 'batch') {
        return (statements: D1PreparedStatement[]) => {
          counts.roundTrips += 1;
          counts.statements += statements.length;
          return target.batch(statements.map((s) => originals.get(s) ?? s));
        };
      }
      const value = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { db, counts };
}
