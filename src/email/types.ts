/**
 * Types shared by the email producer, templates, transports and consumer (DESIGN.md §6).
 */

/** The queue names in wrangler.toml (the same in production). */
export const EMAIL_QUEUE_NAME = 'hashyard-email';
export const EMAIL_DLQ_NAME = 'hashyard-email-dlq';

/** A rendered message, ready for a transport. */
export interface OutgoingEmail {
  outboxId: string;
  to: string;
  /** The display name of the From address: the host's name, never the platform's. */
  fromName: string;
  subject: string;
  html: string;
  text: string;
}

export type TransportName = 'mailchannels' | 'local';

/**
 * Delivers one rendered message. Resolving means the provider accepted it; throwing a
 * PermanentEmailError means retrying cannot help (the row is marked failed at once); any other
 * error is retried with backoff.
 */
export interface Transport {
  readonly name: TransportName;
  send(email: OutgoingEmail): Promise<void>;
}

/** A failure no retry can fix: an unknown template, a bad payload, a provider's 4xx refusal. */
export class PermanentEmailError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PermanentEmailError';
  }
}
