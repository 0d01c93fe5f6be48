import type { RecordStore } from "../store/record-store.js";

/**
 * Slack signs a request with a timestamp and accepts it for five minutes, so the same signed request
 * sent again inside that window passes the signature check. Each invocation carries its own
 * `trigger_id`: the first claim of one wins, every repeat changes nothing. Claims are stored (they
 * outlive a restart, and are shared by every replica on the same store) and are forgotten once no
 * replay of them could be accepted.
 */
export const REPLAY_WINDOW_MS = 5 * 60_000;

export type ReplayGuard = { claim(triggerId: string): Promise<boolean> };

export function createReplayGuard(records: RecordStore, clock: () => number): ReplayGuard {
  return {
    claim(triggerId) {
      const now = clock();
      // Saved before the request is acted on: a kept purge always has its claim kept too.
      return records.claimTrigger(triggerId, now + 2 * REPLAY_WINDOW_MS, now);
    },
  };
}
