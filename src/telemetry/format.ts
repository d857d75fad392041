/**
 * Moved to `src/lib/format.ts`, the one formatting module; this re-export keeps imports from
 * branches written before the move compiling. New code imports `src/lib/format` directly.
 */
export * from '../lib/format';
