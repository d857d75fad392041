/**
 * Transports (DESIGN.md §6): the MailChannels Email API when MAILCHANNELS_API_KEY is set;
 * otherwise the local outbox, which delivers nothing — the consumer stores the rendered message
 * on the outbox row either way, and the development mailbox (/dev/mailbox) shows it.
 *
 * Setup (sender domain, Domain Lockdown, SPF, DKIM) is in README.md, "Email (MailChannels)".
 */
import type { Bindings } from '../env';
import { PermanentEmailError, type OutgoingEmail, type Transport } from './types';

/** @see https://docs.mailchannels.com/api-reference/send/send-an-email */
export const MAILCHANNELS_SEND_URL = 'https://api.mailchannels.net/tx/v1/send';

export type MailChannelsEnv = Pick<
  Bindings,
  'MAILCHANNELS_API_KEY' | 'MAIL_FROM_DOMAIN' | 'MAILCHANNELS_DKIM_DOMAIN' | 'MAILCHANNELS_DKIM_SELECTOR' | 'MAILCHANNELS_DKIM_PRIVATE_KEY'
>;

export interface MailChannelsConfig {
  apiKey: string;
  fromDomain: string;
  dkim: { domain: string; selector: string; privateKey: string } | null;
}

/** Header values must stay on one line; the API builds the headers from these fields. */
const oneLine = (value: string) => value.replace(/[\r\n]+/g, ' ').trim();

/**
 * MailChannels wants the DKIM key as base64 DER on one line. Accept a PEM too (what people paste
 * into `wrangler secret put`) by dropping its armour and line breaks.
 * @see https://docs.mailchannels.net/email-api/dkim
 */
export const normaliseDkimKey = (key: string) => key.replace(/-----(BEGIN|END)[^-]*-----/g, '').replace(/\s+/g, '');

/** Reads and checks the MailChannels settings; throws on a half-configured deployment. */
export function mailChannelsConfig(env: MailChannelsEnv): MailChannelsConfig {
  const apiKey = env.MAILCHANNELS_API_KEY?.trim();
  if (!apiKey) throw new Error('MAILCHANNELS_API_KEY is not set.');
  const fromDomain = env.MAIL_FROM_DOMAIN?.trim().toLowerCase();
  if (!fromDomain) throw new Error('MAIL_FROM_DOMAIN must be set when MAILCHANNELS_API_KEY is: mail is sent from no-reply@<MAIL_FROM_DOMAIN>.');
  const dkimParts = [env.MAILCHANNELS_DKIM_DOMAIN, env.MAILCHANNELS_DKIM_SELECTOR, env.MAILCHANNELS_DKIM_PRIVATE_KEY].map((v) => v?.trim() || '');
  const [domain, selector, privateKey] = dkimParts as [string, string, string];
  const setCount = dkimParts.filter(Boolean).length;
  // Signing with part of a key setup would fail at MailChannels on every message; say so plainly.
  if (setCount !== 0 && setCount !== 3) {
    throw new Error('Set all of MAILCHANNELS_DKIM_DOMAIN, MAILCHANNELS_DKIM_SELECTOR and MAILCHANNELS_DKIM_PRIVATE_KEY, or none of them.');
  }
  return { apiKey, fromDomain, dkim: setCount === 3 ? { domain, selector, privateKey: normaliseDkimKey(privateKey) } : null };
}

/** The JSON body of POST /tx/v1/send for one message to one recipient. */
export function mailChannelsRequestBody(config: MailChannelsConfig, email: OutgoingEmail) {
  return {
    personalizations: [
      {
        to: [{ email: email.to }],
        ...(config.dkim
          ? { dkim_domain: config.dkim.domain, dkim_selector: config.dkim.selector, dkim_private_key: config.dkim.privateKey }
          : {}),
      },
    ],
    // The host's name as the display name: the customer sees who the mail is from.
    from: { email: `no-reply@${config.fromDomain}`, name: oneLine(email.fromName) },
    subject: oneLine(email.subject),
    // text/plain first: multipart/alternative lists the preferred (richest) part last.
    content: [
      { type: 'text/plain', value: email.text },
      { type: 'text/html', value: email.html },
    ],
  };
}

/**
 * The MailChannels Email API. 2xx = accepted. 408, 429 and 5xx are worth retrying; any other 4xx
 * (bad request, Domain Lockdown refusal, bad key) fails the same way every time, so it is
 * permanent and the row is marked failed at once instead of burning the retries.
 * `fetcher` is a parameter so tests can check the request without the network.
 */
export function mailChannelsTransport(config: MailChannelsConfig, fetcher: typeof fetch = fetch): Transport {
  return {
    name: 'mailchannels',
    async send(email) {
      const response = await fetcher(MAILCHANNELS_SEND_URL, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-Api-Key': config.apiKey },
        body: JSON.stringify(mailChannelsRequestBody(config, email)),
      });
      if (response.ok) {
        // Drain the body so the connection can be reused.
        await response.arrayBuffer();
        return;
      }
      const detail = (await response.text().catch(() => '')).slice(0, 500);
      const message = `MailChannels answered ${response.status}${detail ? `: ${detail}` : ''}`;
      const retryable = response.status === 408 || response.status === 429 || response.status >= 500;
      throw retryable ? new Error(message) : new PermanentEmailError(message);
    },
  };
}

/**
 * Delivers nothing: the consumer stores the rendered message on the outbox row (transport
 * `local`), and /dev/mailbox shows it so a newcomer can follow invite links.
 */
export const localTransport: Transport = {
  name: 'local',
  async send(email) {
    console.log(`[email] local outbox: "${oneLine(email.subject)}" to ${email.to} — open /dev/mailbox/${email.outboxId}`);
  },
};

/**
 * MailChannels when its key is configured, else the local outbox — except in production, where
 * "stored locally" would mark mail `sent` that nobody receives (and the mailbox page does not
 * exist there): a missing key is an error, so the rows retry and end `failed` with the reason.
 */
export function selectTransport(env: MailChannelsEnv & Pick<Bindings, 'ENVIRONMENT'>): Transport {
  if (env.MAILCHANNELS_API_KEY?.trim()) return mailChannelsTransport(mailChannelsConfig(env));
  if (env.ENVIRONMENT === 'production') throw new Error('No email transport in production: set the MAILCHANNELS_API_KEY secret.');
  return localTransport;
}
