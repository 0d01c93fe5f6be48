import type { SlackMessage } from "../messages/format.js";
import type { SlackPoster } from "./slack-poster.js";

type Waiter = { resolve: () => void; reject: (error: unknown) => void };
type Pending = { channel: string; ts: string; message: SlackMessage; waiters: Waiter[] };

/**
 * Collapses a burst of updates to one message into one chat.update with the latest content, so a
 * flurry of status changes spends one call of Slack's per-channel rate limit instead of many.
 */
export function coalesceUpdates(poster: SlackPoster, delayMs: number): SlackPoster {
  const pending = new Map<string, Pending>();

  async function flush(key: string): Promise<void> {
    const entry = pending.get(key);
    if (!entry) return;
    pending.delete(key);
    try {
      await poster.update(entry.channel, entry.ts, entry.message);
      for (const w of entry.waiters) w.resolve();
    } catch (error) {
      for (const w of entry.waiters) w.reject(error);
    }
  }

  return {
    post: (channel, message, threadTs, marker) => poster.post(channel, message, threadTs, marker),
    findMarked: (channel, marker, sinceMs, threadTs) => poster.findMarked(channel, marker, sinceMs, threadTs),
    upload: (channel, threadTs, file) => poster.upload(channel, threadTs, file),
    permalink: (channel, ts) => poster.permalink(channel, ts),
    postEphemeral: (channel, user, message) => poster.postEphemeral(channel, user, message),
    withBlocks: (message, send) => poster.withBlocks(message, send),
    update(channel, ts, message) {
      const key = `${channel}/${ts}`;
      return new Promise<void>((resolve, reject) => {
        const entry = pending.get(key);
        if (entry) {
          entry.message = message;
          entry.waiters.push({ resolve, reject });
          return;
        }
        pending.set(key, { channel, ts, message, waiters: [{ resolve, reject }] });
        setTimeout(() => void flush(key), delayMs);
      });
    },
  };
}
