import { lowdbRecordStore } from "./lowdb-record-store.js";
import type { RecordStore } from "./record-store.js";
import type { StateStore } from "./state-store.js";

/** What the app needs of where it keeps things: the records, their housekeeping, and who shares it. */
export interface BotStore {
  readonly records: RecordStore;
  /** Takes finished records out of the live set, into history; returns how many moved. */
  settle(now: number): Promise<number>;
  /** Saves whatever is still queued (at shutdown). */
  flush(): Promise<void>;
  /** Several processes may use it at once: their work is split by leases (`tracking/work-leases.ts`). */
  readonly shared: boolean;
}

/** The embedded default: one process, a lowdb state file and its history files. */
export function lowdbBotStore(state: StateStore): BotStore {
  return {
    records: lowdbRecordStore(state),
    settle: (now) => state.settle(now),
    // At shutdown: saved, and the log's file let go.
    flush: () => state.close(),
    shared: false,
  };
}
