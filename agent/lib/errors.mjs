// Typed errors shared by the agent. Each carries a stable `code` so callers can
// branch on it without string matching, and a message fit for an operator.

/** A miner reply that cannot be turned into data (bad JSON, wrong shape, a
 * value that should be a number but is not). Never replaced by zeros: the agent
 * reports it in the miner's `errors`. */
export class ParseError extends Error {
  /**
   * @param {string} message
   * @param {{ command?: string, excerpt?: string, cause?: unknown }} [opts]
   */
  constructor(message, opts = {}) {
    super(message, opts.cause ? { cause: opts.cause } : undefined);
    this.name = 'ParseError';
    this.code = 'PARSE';
    /** @type {string | undefined} */
    this.command = opts.command;
    /** @type {string | undefined} */
    this.excerpt = opts.excerpt;
  }
}

/** The miner answered, well-formed, but with STATUS "E"/"F" (e.g. "Invalid
 * command", "Access denied"). */
export class CommandError extends Error {
  /**
   * @param {string} message
   * @param {{ command?: string, statusCode?: number }} [opts]
   */
  constructor(message, opts = {}) {
    super(message);
    this.name = 'CommandError';
    this.code = 'COMMAND';
    this.command = opts.command;
    this.statusCode = opts.statusCode;
  }
}

/** TCP-level failure talking to a miner: refused, unreachable, timed out, reset. */
export class TransportError extends Error {
  /**
   * @param {string} message
   * @param {{ phase: 'connect' | 'read', reason: string, cause?: unknown }} opts
   */
  constructor(message, opts) {
    super(message, opts.cause ? { cause: opts.cause } : undefined);
    this.name = 'TransportError';
    this.code = 'TRANSPORT';
    this.phase = opts.phase;
    /** e.g. 'timeout', 'ECONNREFUSED', 'too_large', 'closed_empty' */
    this.reason = opts.reason;
  }
}

/** The edge answered 401: this agent's token was revoked (or never valid). */
export class RevokedError extends Error {
  constructor(message = 'the edge rejected this agent\'s token (401): it was revoked; register again with a new one-time code') {
    super(message);
    this.name = 'RevokedError';
    this.code = 'REVOKED';
  }
}

/** An HTTP answer from the edge that is not a success. */
export class EdgeHttpError extends Error {
  /**
   * @param {string} message
   * @param {{ status?: number, body?: string, retryable: boolean, retryAfterMs?: number, cause?: unknown }} opts
   */
  constructor(message, opts) {
    super(message, opts.cause ? { cause: opts.cause } : undefined);
    this.name = 'EdgeHttpError';
    this.code = 'EDGE_HTTP';
    this.status = opts.status;
    this.body = opts.body;
    this.retryable = opts.retryable;
    this.retryAfterMs = opts.retryAfterMs;
  }
}
