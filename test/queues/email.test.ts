import { createExecutionContext, createMessageBatch, env, getQueueResult } from 'cloudflare:test';
import { eq, sql } from 'drizzle-orm';
import { describe, expect, it, vi } from 'vitest';
import { createApp } from '../../src/app';
import { emailOutbox, hosts } from '../../src/db/schema';
import { handleDeadLetterQueue, handleEmailQueue, retryDelaySeconds } from '../../src/email/consumer';
import { CLAIM_TTL_MS, outboxInsert, queueEmail, requeueStale, sendEmail, type EmailInput } from '../../src/email/outbox';
import { BRAND_DEFAULT_COLORS } from '../../src/hosts/palette';
import {
  mailChannelsConfig,
  mailChannelsTransport,
  MAILCHANNELS_SEND_URL,
  selectTransport,
} from '../../src/email/transports';
import { EMAIL_DLQ_NAME, EMAIL_QUEUE_NAME, PermanentEmailError, type OutgoingEmail, type Transport } from '../../src/email/types';
import type { Bindings, EmailQueueMessage } from '../../src/env';
import worker from '../../src/index';
import { createHost, db, getPage, ORIGIN, uniqueId, type TestHost } from '../helpers/fixtures';

/** Emails of a host that never chose colours use the one default palette. */
const NEUTRAL_PRIMARY = BRAND_DEFAULT_COLORS.primaryColor;

// ---------------------------------------------------------------------------------------------
// Helpers

const bindings = env as unknown as Bindings;

/** A queue that records what it was given instead of delivering (no consumer runs behind it). */
function recordingQueue(options: { fail?: boolean; onSend?: (ids: string[]) => Promise<void> | void } = {}) {
  const sent: string[][] = [];
  const record = async (ids: string[]) => {
    if (options.fail) throw new Error('Queue unavailable');
    await options.onSend?.(ids);
    sent.push(ids);
  };
  const queue = {
    async send(body: EmailQueueMessage) {
      await record([body.outboxId]);
    },
    async sendBatch(messages: Iterable<MessageSendRequest<EmailQueueMessage>>) {
      await record([...messages].map((m) => m.body.outboxId));
    },
  } as unknown as Queue<EmailQueueMessage>;
  return { env: { EMAIL_QUEUE: queue }, sent };
}

/** A transport that records messages, or fails with the given error. */
function fakeTransport(fail?: (attempt: number) => Error) {
  const sent: OutgoingEmail[] = [];
  let calls = 0;
  const transport: Transport = {
    name: 'mailchannels',
    async send(email) {
      calls += 1;
      if (fail) throw fail(calls);
      sent.push(email);
    },
  };
  return { transport, sent, calls: () => calls };
}

async function brandHost(name = 'Texas Mine', brand: Partial<typeof hosts.$inferInsert> = {}): Promise<TestHost> {
  const host = await createHost(name);
  await db()
    .update(hosts)
    .set({ brandPrimaryColor: '#C2410C', brandAccentColor: '#0F766E', brandSlogan: 'Power you can count on', ...brand })
    .where(eq(hosts.id, host.hostId));
  return host;
}

function inviteInput(host: TestHost, overrides: Partial<Extract<EmailInput, { template: 'invite' }>['payload']> = {}): EmailInput {
  return {
    hostId: host.hostId,
    to: `guest-${uniqueId()}@example.com`,
    template: 'invite',
    subject: 'Ana invited you to Texas Mine',
    payload: {
      customerName: 'Acme Hashing',
      inviterLabel: 'Ana Ops',
      acceptUrl: `https://portal.texasmine.example/auth/invite/${uniqueId()}`,
      expiresAt: '2030-03-14T08:30:00.000Z',
      logoUrl: 'https://portal.texasmine.example/brand/logo?v=3',
      ...overrides,
    },
  } as EmailInput;
}

/** Writes an outbox row (as a producer's batch would) and returns its id. */
async function writeRow(input: EmailInput): Promise<string> {
  const { id, statement } = outboxInsert(db(), input);
  await db().batch([statement]);
  return id;
}

const rowOf = async (id: string) => (await db().select().from(emailOutbox).where(eq(emailOutbox.id, id)))[0]!;

let messageCounter = 0;
function batchOf(queue: string, outboxIds: string[], attempts = 1) {
  return createMessageBatch<EmailQueueMessage>(
    queue,
    outboxIds.map((outboxId) => ({ id: `msg-${messageCounter++}`, timestamp: new Date(), attempts, body: { outboxId } })),
  );
}

/** Runs the email consumer over one delivery of these ids; returns the queue's verdict and retry delays. */
async function deliver(outboxIds: string[], options: Parameters<typeof handleEmailQueue>[2] = {}) {
  const batch = batchOf(EMAIL_QUEUE_NAME, outboxIds);
  const delays = spyOnRetries(batch);
  const ctx = createExecutionContext();
  await handleEmailQueue(batch, bindings, options);
  return { batch, result: await getQueueResult(batch, ctx), delays };
}

/** getQueueResult reports which messages were retried but not the delay asked for: record it. */
function spyOnRetries(batch: MessageBatch<EmailQueueMessage>) {
  const delays = new Map<string, number | undefined>();
  for (const message of batch.messages) {
    const original = message.retry.bind(message);
    vi.spyOn(message, 'retry').mockImplementation((options?: QueueRetryOptions) => {
      delays.set(message.id, options?.delaySeconds);
      original(options);
    });
  }
  return delays;
}

// ---------------------------------------------------------------------------------------------

describe('producer: outbox first, then the queue', () => {
  it('writes the row before queueing its id', async () => {
    const host = await brandHost();
    const seenAtSend: string[] = [];
    const queue = recordingQueue({
      // When the queue is asked, the row must already be committed.
      onSend: async (ids) => {
        for (const id of ids) seenAtSend.push((await rowOf(id)).status);
      },
    });
    const { id, queued } = await sendEmail(queue.env, db(), inviteInput(host));
    expect(queued).toBe(true);
    expect(queue.sent).toEqual([[id]]);
    expect(seenAtSend).toEqual(['queued']);
    const row = await rowOf(id);
    expect(row).toMatchObject({ hostId: host.hostId, template: 'invite', status: 'queued', attempts: 0, transport: null, renderedHtml: null });
    expect(JSON.parse(row.payload)).toMatchObject({ customerName: 'Acme Hashing', inviterLabel: 'Ana Ops' });
  });

  it('puts the insert in the caller’s batch and queues several ids with one sendBatch', async () => {
    const host = await brandHost();
    const a = outboxInsert(db(), inviteInput(host));
    const b = outboxInsert(db(), inviteInput(host));
    await db().batch([a.statement, b.statement]);
    const queue = recordingQueue();
    expect(await queueEmail(queue.env, [a.id, b.id])).toBe(true);
    expect(queue.sent).toEqual([[a.id, b.id]]);
  });

  it('refuses a bad recipient, a non-http link or a payload that does not fit the template', async () => {
    const host = await brandHost();
    expect(() => outboxInsert(db(), { ...inviteInput(host), to: 'not an email' })).toThrow(/recipient/);
    expect(() => outboxInsert(db(), inviteInput(host, { acceptUrl: 'javascript:alert(1)' }))).toThrow(/acceptUrl/);
    expect(() => outboxInsert(db(), inviteInput(host, { logoUrl: 'data:image/png;base64,AAAA' }))).toThrow(/logoUrl/);
    expect(() => outboxInsert(db(), inviteInput(host, { expiresAt: 'next tuesday' }))).toThrow(/expiresAt/);
  });

  it('keeps the row queued when the queue fails, and requeueStale re-drives it later', async () => {
    const host = await brandHost();
    const failing = recordingQueue({ fail: true });
    const { id, queued } = await sendEmail(failing.env, db(), inviteInput(host));
    expect(queued).toBe(false);
    expect((await rowOf(id)).status).toBe('queued');

    const fresh = await writeRow(inviteInput(host));
    const sent = await writeRow(inviteInput(host));
    await db().update(emailOutbox).set({ status: 'sent' }).where(eq(emailOutbox.id, sent));
    // A consumer that died mid-send long ago left this one claimed.
    const abandoned = await writeRow(inviteInput(host));
    const longAgo = Date.now() - 2 * 60 * 60 * 1000;
    await db().update(emailOutbox).set({ status: sql`'sending'`, sentAt: longAgo, createdAt: longAgo }).where(eq(emailOutbox.id, abandoned));
    // Backdate the failed one: it is the only queued row old enough.
    await db().update(emailOutbox).set({ createdAt: Date.now() - 2 * 60 * 60 * 1000 }).where(eq(emailOutbox.id, id));

    const queue = recordingQueue();
    const requeued = await requeueStale(queue.env, db(), 60 * 60 * 1000);
    expect(requeued).toContain(id);
    expect(requeued).toContain(abandoned);
    expect(requeued).not.toContain(fresh);
    expect(requeued).not.toContain(sent);
    expect(queue.sent.flat()).toEqual(requeued);

    // The re-driven delivery takes over the expired claim and sends it.
    const { transport, sent: delivered } = fakeTransport();
    await deliver([abandoned], { transport });
    expect(delivered).toHaveLength(1);
    expect(await rowOf(abandoned)).toMatchObject({ status: 'sent', attempts: 1 });
  });
});

describe('consumer: send path', () => {
  it('renders the host-branded message, stores it with the local transport and acks', async () => {
    const host = await brandHost('Texas Mine');
    const id = await writeRow(inviteInput(host));
    const batch = batchOf(EMAIL_QUEUE_NAME, [id]);
    const ctx = createExecutionContext();
    // Through the Worker's queue() handler: dispatch by queue name, transport chosen from env
    // (no MAILCHANNELS_API_KEY in tests → local outbox).
    await worker.queue(batch, bindings, ctx);
    const result = await getQueueResult(batch, ctx);
    expect(result.explicitAcks).toEqual([batch.messages[0]!.id]);
    expect(result.retryMessages).toEqual([]);

    const row = await rowOf(id);
    expect(row).toMatchObject({ status: 'sent', transport: 'local', attempts: 1, lastError: null });
    expect(row.sentAt).toBeGreaterThan(0);
    const html = row.renderedHtml!;
    const text = row.renderedText!;
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).toContain('Texas Mine');
    expect(html).toContain('#c2410c'); // the host's primary colour
    expect(html).toContain('#0f766e'); // and accent
    expect(html).toContain('Power you can count on');
    expect(html).toContain('src="https://portal.texasmine.example/brand/logo?v=3"');
    expect(html).toContain('Acme Hashing');
    expect(html).toContain('Ana Ops');
    const payload = JSON.parse(row.payload) as { acceptUrl: string };
    expect(html).toContain(`href="${payload.acceptUrl}"`);
    expect(text).toContain(payload.acceptUrl);
    expect(text).toContain('Texas Mine');
    expect(text).toContain('14 March 2030'); // expiry, in the host's time zone (UTC by default)
    // White label: the platform's name appears nowhere the customer reads.
    expect(html).not.toMatch(/hashyard/i);
    expect(text).not.toMatch(/hashyard/i);
  });

  it('renders password resets too, with neutral colours when the host has none', async () => {
    const host = await createHost('Pacific Mining');
    const id = await writeRow({
      hostId: host.hostId,
      to: 'member@example.com',
      template: 'password_reset',
      subject: 'Reset your Pacific Mining password',
      payload: { name: 'Mia', resetUrl: 'https://pacific.example/auth/reset/abc', expiresAt: '2030-01-01T00:00:00Z' },
    });
    const { transport, sent } = fakeTransport();
    const { result } = await deliver([id], { transport });
    expect(result.explicitAcks).toHaveLength(1);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ to: 'member@example.com', fromName: 'Pacific Mining', subject: 'Reset your Pacific Mining password' });
    expect(sent[0]!.html).toContain(NEUTRAL_PRIMARY);
    expect(sent[0]!.html).toContain('href="https://pacific.example/auth/reset/abc"');
    expect(sent[0]!.text).toContain('Hello Mia,');
    expect(sent[0]!.html).not.toMatch(/hashyard/i);
    expect(await rowOf(id)).toMatchObject({ status: 'sent', transport: 'mailchannels' });
  });
});

describe('end to end', () => {
  it('goes from sendEmail through the real queue and the Worker’s consumer to a sent row', async () => {
    const host = await brandHost('Queue Host');
    // The test Worker consumes hashyard-email as wrangler.toml configures it.
    const { id, queued } = await sendEmail(bindings, db(), inviteInput(host));
    expect(queued).toBe(true);
    await vi.waitFor(async () => expect((await rowOf(id)).status).toBe('sent'), { timeout: 10_000, interval: 100 });
    expect(await rowOf(id)).toMatchObject({ transport: 'local', attempts: 1 });
  });
});

describe('consumer: retries and failure', () => {
  it('records each failure and retries with a growing delay', async () => {
    const host = await brandHost();
    const id = await writeRow(inviteInput(host));
    const { transport } = fakeTransport((n) => new Error(`MailChannels answered 503 (try ${n})`));

    const delays: (number | undefined)[] = [];
    for (let attempt = 1; attempt <= 4; attempt++) {
      const { batch, result, delays: asked } = await deliver([id], { transport });
      const msgId = batch.messages[0]!.id;
      expect(result.retryMessages).toEqual([{ msgId }]);
      expect(result.explicitAcks).toEqual([]);
      delays.push(asked.get(msgId));
      const row = await rowOf(id);
      expect(row).toMatchObject({ status: 'queued', attempts: attempt, lastError: `MailChannels answered 503 (try ${attempt})`, sentAt: null });
    }
    expect(delays).toEqual([30, 60, 120, 240]);
  });

  it('backs off exponentially, capped at an hour', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8].map(retryDelaySeconds)).toEqual([30, 60, 120, 240, 480, 960, 1920, 3600]);
    expect(retryDelaySeconds(30)).toBe(3600);
  });

  it('marks a permanent failure failed at once and acks (no retries burnt)', async () => {
    const host = await brandHost();
    const id = await writeRow(inviteInput(host));
    const { transport } = fakeTransport(() => new PermanentEmailError('MailChannels answered 403: domain lockdown'));
    const { batch, result } = await deliver([id], { transport });
    expect(result.explicitAcks).toEqual([batch.messages[0]!.id]);
    expect(result.retryMessages).toEqual([]);
    expect(await rowOf(id)).toMatchObject({ status: 'failed', attempts: 1, lastError: 'MailChannels answered 403: domain lockdown' });
  });

  it('marks a row with a payload it cannot render failed', async () => {
    const host = await brandHost();
    const id = await writeRow(inviteInput(host));
    await db().update(emailOutbox).set({ payload: '{"acceptUrl":"javascript:alert(1)"}' }).where(eq(emailOutbox.id, id));
    const { transport, calls } = fakeTransport();
    await deliver([id], { transport });
    expect(calls()).toBe(0);
    const row = await rowOf(id);
    expect(row.status).toBe('failed');
    expect(row.lastError).toMatch(/Invalid invite email payload/);
  });

  it('the dead-letter consumer marks the row failed, keeps last_error and acks', async () => {
    const host = await brandHost();
    const id = await writeRow(inviteInput(host));
    const { transport } = fakeTransport(() => new Error('MailChannels answered 502'));
    await deliver([id], { transport });

    const sentId = await writeRow(inviteInput(host));
    await deliver([sentId], { transport: fakeTransport().transport });

    const batch = batchOf(EMAIL_DLQ_NAME, [id, sentId], 6);
    const ctx = createExecutionContext();
    await worker.queue(batch, bindings, ctx);
    const result = await getQueueResult(batch, ctx);
    expect(result.explicitAcks).toEqual(batch.messages.map((m) => m.id));
    expect(await rowOf(id)).toMatchObject({ status: 'failed', lastError: 'MailChannels answered 502', attempts: 1 });
    // A row that did get sent is not rewritten by a stray dead letter.
    expect((await rowOf(sentId)).status).toBe('sent');
  });

  it('gives a dead-lettered row with no recorded error a reason', async () => {
    const host = await brandHost();
    const id = await writeRow(inviteInput(host));
    const batch = batchOf(EMAIL_DLQ_NAME, [id], 6);
    const ctx = createExecutionContext();
    await handleDeadLetterQueue(batch, bindings);
    expect((await getQueueResult(batch, ctx)).explicitAcks).toHaveLength(1);
    expect(await rowOf(id)).toMatchObject({ status: 'failed', lastError: 'Delivery retries exhausted.' });
  });

  it('refuses a queue it does not know (left unacknowledged, so retried)', async () => {
    const batch = batchOf('some-other-queue', ['x']);
    await expect(worker.queue(batch, bindings, createExecutionContext())).rejects.toThrow(/No consumer/);
  });
});

describe('consumer: never sends twice', () => {
  it('acks a redelivery of a sent email without sending it again', async () => {
    const host = await brandHost();
    const id = await writeRow(inviteInput(host));
    const { transport, sent } = fakeTransport();
    await deliver([id], { transport });
    const before = await rowOf(id);
    expect(before.status).toBe('sent');

    const { batch, result } = await deliver([id], { transport });
    expect(result.explicitAcks).toEqual([batch.messages[0]!.id]);
    expect(result.retryMessages).toEqual([]);
    expect(sent).toHaveLength(1);
    expect(await rowOf(id)).toEqual(before); // not even attempts moved
  });

  it('sends once when the same id arrives twice in one batch', async () => {
    const host = await brandHost();
    const id = await writeRow(inviteInput(host));
    const { transport, sent } = fakeTransport();
    const { result } = await deliver([id, id], { transport });
    expect(sent).toHaveLength(1);
    expect(result.explicitAcks).toHaveLength(2);
  });

  it('lets only one of two concurrent deliveries send; the other waits out the claim', async () => {
    const host = await brandHost();
    const id = await writeRow(inviteInput(host));
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let sends = 0;
    const slow: Transport = {
      name: 'mailchannels',
      async send() {
        sends += 1;
        await gate; // still "sending" while the second delivery arrives
      },
    };
    const first = deliver([id], { transport: slow });
    // Let the first delivery claim the row.
    await vi.waitFor(async () => expect((await rowOf(id)).status).toBe('sending'));
    const second = await deliver([id], { transport: slow });
    expect(second.result.explicitAcks).toEqual([]);
    const secondId = second.batch.messages[0]!.id;
    expect(second.result.retryMessages).toEqual([{ msgId: secondId }]);
    // Retried after the claim could have expired, not in a tight loop.
    expect(second.delays.get(secondId)).toBeGreaterThan(CLAIM_TTL_MS / 1000 - 60);
    release();
    const firstResult = await first;
    expect(firstResult.result.explicitAcks).toHaveLength(1);
    expect(sends).toBe(1);
    expect(await rowOf(id)).toMatchObject({ status: 'sent', attempts: 1 });
  });
});

describe('templates escape everything', () => {
  it('escapes markup in payload fields and the host’s name and slogan; ignores a colour that is not #rrggbb', async () => {
    const evil = '<script>alert(1)</script>';
    const host = await brandHost('Host', {
      name: '"><img src=x onerror=alert(1)>',
      brandSlogan: '</title><script>alert(2)</script>',
      brandPrimaryColor: 'red;background:url(javascript:alert(3))',
    });
    const id = await writeRow(inviteInput(host, { customerName: evil, inviterLabel: "'><svg onload=alert(4)>" }));
    const { transport, sent } = fakeTransport();
    await deliver([id], { transport });
    const html = sent[0]!.html;
    expect(html).not.toContain('<script');
    expect(html).not.toContain('<img src=x');
    expect(html).not.toContain('<svg');
    expect(html).not.toContain('javascript:');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('&quot;&gt;&lt;img src=x onerror=alert(1)&gt;');
    expect(html).toContain('&lt;/title&gt;&lt;script&gt;alert(2)&lt;/script&gt;');
    expect(html).toContain(NEUTRAL_PRIMARY);
    // The text version is plain text: it carries the values as they are, for a text/plain part.
    expect(sent[0]!.text).toContain(evil);
    expect(sent[0]!.fromName).toBe('"><img src=x onerror=alert(1)>');
  });
});

describe('development mailbox', () => {
  it('lists mail newest first and shows a message with its links and a sandboxed preview', async () => {
    const host = await brandHost('Mailbox Host');
    const older = await writeRow({ ...inviteInput(host), subject: 'Older invite' });
    const id = await writeRow({ ...inviteInput(host, { customerName: '<b>Bold</b> Co' }), subject: 'Newest invite' });
    await deliver([older, id], { transport: fakeTransport().transport });

    const list = await getPage('/dev/mailbox');
    expect(list.status).toBe(200);
    const listHtml = await list.text();
    expect(listHtml.indexOf('Newest invite')).toBeGreaterThan(-1);
    expect(listHtml.indexOf('Newest invite')).toBeLessThan(listHtml.indexOf('Older invite'));
    expect(listHtml).toContain(`href="/dev/mailbox/${id}"`);
    expect(listHtml).toContain('Mailbox Host');

    const page = await getPage(`/dev/mailbox/${id}`);
    expect(page.status).toBe(200);
    const html = await page.text();
    const acceptUrl = (JSON.parse((await rowOf(id)).payload) as { acceptUrl: string }).acceptUrl;
    expect(html).toContain(`<a href="${acceptUrl}" rel="noreferrer">`);
    expect(html).toMatch(/<iframe[^>]* sandbox=""[^>]* srcdoc="&lt;!DOCTYPE html&gt;/);
    // The stored HTML only ever appears escaped inside srcdoc: no live markup from the email.
    expect(html).not.toContain('<b>Bold</b>');
    expect(html).not.toContain('<table role="presentation"');
  });

  it('answers 404 for an unknown message', async () => {
    expect((await getPage('/dev/mailbox/00000000-0000-4000-8000-000000000000')).status).toBe(404);
  });

  it('does not exist in production', async () => {
    const host = await brandHost();
    const id = await writeRow(inviteInput(host));
    const production = { ...bindings, ENVIRONMENT: 'production' } as Bindings;
    const app = createApp();
    for (const path of ['/dev/mailbox', '/dev/mailbox/', `/dev/mailbox/${id}`]) {
      const res = await app.fetch(new Request(`${ORIGIN}${path}`), production, createExecutionContext());
      expect(res.status, path).toBe(404);
      expect(await res.text(), path).not.toContain('mailbox');
    }
    // …while the same app answers in test.
    const res = await app.fetch(new Request(`${ORIGIN}/dev/mailbox`), bindings, createExecutionContext());
    expect(res.status).toBe(200);
  });
});

describe('transports', () => {
  const base = { MAILCHANNELS_API_KEY: 'mc-key', MAIL_FROM_DOMAIN: 'mail.example.net' };
  const email: OutgoingEmail = {
    outboxId: 'o1',
    to: 'guest@example.com',
    fromName: 'Texas Mine',
    subject: 'Line one\r\nBcc: x@example.com',
    html: '<p>hi</p>',
    text: 'hi',
  };

  it('chooses the local outbox without a key, MailChannels with one, and refuses production without a key', () => {
    expect(selectTransport({ ENVIRONMENT: 'development' }).name).toBe('local');
    expect(selectTransport({ ENVIRONMENT: 'test', ...base }).name).toBe('mailchannels');
    expect(() => selectTransport({ ENVIRONMENT: 'production' })).toThrow(/MAILCHANNELS_API_KEY/);
    expect(() => mailChannelsConfig({ MAILCHANNELS_API_KEY: 'k' })).toThrow(/MAIL_FROM_DOMAIN/);
    expect(() => mailChannelsConfig({ ...base, MAILCHANNELS_DKIM_DOMAIN: 'example.net' })).toThrow(/all of/);
  });

  it('posts the documented request shape to the MailChannels Email API', async () => {
    const requests: Request[] = [];
    const fetcher = (async (input: RequestInfo | URL, init?: RequestInit) => {
      requests.push(new Request(input, init));
      return new Response(null, { status: 202 });
    }) as typeof fetch;
    const config = mailChannelsConfig({
      ...base,
      MAILCHANNELS_DKIM_DOMAIN: 'example.net',
      MAILCHANNELS_DKIM_SELECTOR: 'mcdkim',
      MAILCHANNELS_DKIM_PRIVATE_KEY: '-----BEGIN PRIVATE KEY-----\nMIIB\nAbC=\n-----END PRIVATE KEY-----\n',
    });
    await mailChannelsTransport(config, fetcher).send(email);
    expect(requests).toHaveLength(1);
    const request = requests[0]!;
    expect(request.url).toBe(MAILCHANNELS_SEND_URL);
    expect(request.method).toBe('POST');
    expect(request.headers.get('X-Api-Key')).toBe('mc-key');
    expect(request.headers.get('Content-Type')).toBe('application/json');
    expect(await request.json()).toEqual({
      personalizations: [
        { to: [{ email: 'guest@example.com' }], dkim_domain: 'example.net', dkim_selector: 'mcdkim', dkim_private_key: 'MIIBAbC=' },
      ],
      from: { email: 'no-reply@mail.example.net', name: 'Texas Mine' },
      subject: 'Line one Bcc: x@example.com',
      content: [
        { type: 'text/plain', value: 'hi' },
        { type: 'text/html', value: '<p>hi</p>' },
      ],
    });
  });

  it('treats 5xx and 429 as retryable and other 4xx as permanent', async () => {
    const answering = (status: number) => (async () => new Response('nope', { status })) as typeof fetch;
    const config = mailChannelsConfig(base);
    for (const status of [500, 503, 429, 408]) {
      const error = await mailChannelsTransport(config, answering(status)).send(email).catch((e: unknown) => e);
      expect(error, String(status)).toBeInstanceOf(Error);
      expect(error, String(status)).not.toBeInstanceOf(PermanentEmailError);
    }
    for (const status of [400, 401, 403]) {
      const error = await mailChannelsTransport(config, answering(status)).send(email).catch((e: unknown) => e);
      expect(error, String(status)).toBeInstanceOf(PermanentEmailError);
      expect((error as Error).message).toContain(`${status}: nope`);
    }
  });
});
