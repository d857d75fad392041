import { env } from 'cloudflare:test';
import type { Bindings } from '../../src/env';
import type { NotifyChunkMessage } from '../../src/notify/service';

/**
 * The Worker's bindings with NOTIFY_QUEUE and EMAIL_QUEUE replaced by queues that record what they
 * were given (no consumer runs behind them), so a test drives each consumer step itself.
 */
export function recordingEnv() {
  const notify: NotifyChunkMessage[] = [];
  const email: string[] = [];
  const queue = (push: (body: unknown) => void) =>
    ({
      async send(body: unknown) {
        push(body);
      },
      async sendBatch(messages: Iterable<MessageSendRequest<unknown>>) {
        for (const m of messages) push(m.body);
      },
    }) as unknown as Queue<never>;
  const bindings = {
    ...(env as unknown as Bindings),
    NOTIFY_QUEUE: queue((b) => notify.push(b as NotifyChunkMessage)),
    EMAIL_QUEUE: queue((b) => email.push((b as { outboxId: string }).outboxId)),
  } satisfies Bindings;
  return { env: bindings, notify, email };
}
