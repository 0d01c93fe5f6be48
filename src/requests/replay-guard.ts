import type { StateStore } from "../store/state-store.js";

/**
 * Slack signs a request with a timestamp and accepts it for five minutes, so the same signed request
 * sent again inside that window passes the signature check. Each invocation carries its own
 * `trigger_id`: the first claim of one wins, every repeat changes nothing. Claims outlive the window
 * and a restart (they are stored), and are forgotten once no replay of them could be accepted.
 */
export const REPLAY_WINDOW_MS = 5 * 60_000;

export type ReplayGuard = { claim(triggerId: string): boolean };

export function createReplayGuard(store: StateStore, clock: () => number): ReplayGuard {
  // Checked and marked synchronously, so two copies arriving together cannot both pass.
  const seen = new Map(Object.entries(store.data.seenTriggers));
  return {
    claim(triggerId) {
      const now = clock();
      const until = seen.get(triggerId);
      if (until !== undefined && until > now) return false;
      const keepUntil = now + 2 * REPLAY_WINDOW_MS;
      seen.set(triggerId, keepUntil);
      for (const [id, expiry] of seen) if (expiry <= now) seen.delete(id);
      // Queued before any work the request causes, so a kept purge always has its claim kept too.
      void store
        .update((data) => {
          data.seenTriggers = Object.fromEntries(seen);
        })
        .catch(() => undefined);
      return true;
    },
  };
}
