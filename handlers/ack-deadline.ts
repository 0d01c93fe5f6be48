import type { Context } from "@slack/bolt";

/**
 * Slack wants a request acknowledged within 3 seconds, or it shows the person an error. What must
 * be durable before the ack (a replay claim, a received purge, a vote) gets this long from the
 * request's arrival; past it the request is acknowledged with words that promise nothing yet, and
 * the outcome follows in a reply once the store has answered.
 */
export const ACK_WITHIN_MS = 2_500;

/** What an early ack says: not a "yes" (nothing is saved yet), and not a reason to ask again. */
export const STILL_SAVING =
  "Still saving this request: my state store is answering slowly. I will say here in a moment whether I took it; there is no need to ask again.";

/** The same for a click: its vote is not kept yet, and a second click is safe (a vote counts once). */
export const STILL_SAVING_VOTE =
  "Still saving your vote: my state store is answering slowly. I will say here in a moment whether it was taken; if I do not, click again.";

/**
 * The deadline, stamped on the request's context (Bolt shares the context between middleware and
 * listeners); `receivedAt` is when the HTTP request reached the process, where the receiver knows.
 */
type AckContext = Context & { ackBy?: number; ackedEarly?: boolean; receivedAt?: number };

/** Stamps the request's ack deadline, once: from when it reached the process, or from now. */
export function stampArrival(context: Context, now = Date.now()): void {
  const c = context as AckContext;
  c.ackBy ??= (c.receivedAt ?? now) + ACK_WITHIN_MS;
}

/** Whether the request was acknowledged already, early, because saving it took too long. */
export function ackedEarly(context: Context): boolean {
  return (context as AckContext).ackedEarly === true;
}

/** Marks the request as acknowledged early: whoever handles it answers through a reply instead. */
export function markAckedEarly(context: Context): void {
  (context as AckContext).ackedEarly = true;
}

export type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

/**
 * Waits for `work` until the request's ack is due: its outcome, or `undefined` when the deadline
 * came first (the work goes on; await it again for its outcome).
 */
export async function beforeAckDue<T>(context: Context, work: Promise<T>): Promise<Settled<T> | undefined> {
  const left = ((context as AckContext).ackBy ?? Date.now() + ACK_WITHIN_MS) - Date.now();
  let timer: NodeJS.Timeout | undefined;
  const due = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), Math.max(0, left));
  });
  try {
    return await Promise.race([
      work.then(
        (value): Settled<T> => ({ ok: true, value }),
        (error: unknown): Settled<T> => ({ ok: false, error }),
      ),
      due,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
