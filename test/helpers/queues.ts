/** A queue binding that records the bodies it is given instead of delivering them (no consumer runs behind it). */
export function recordingQueue<T>() {
  const sent: T[] = [];
  const queue = {
    async send(body: T) {
      sent.push(body);
    },
    async sendBatch(messages: Iterable<MessageSendRequest<T>>) {
      for (const m of messages) sent.push(m.body);
    },
  } as unknown as Queue<never>;
  return { queue, sent };
}
