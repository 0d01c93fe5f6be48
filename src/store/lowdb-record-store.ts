import type { AuditReader } from "./audit-journal.js";
import { collection } from "./commit-document.js";
import type { Commit, RecordKinds, RecordStore } from "./record-store.js";
import type { StoreData } from "./records.js";
import type { StateStore } from "./state-store.js";

/**
 * The record store on lowdb, for one process: a commit is one logged `StateStore` change, whose
 * queue serializes writers, checks every condition before applying anything, and saves the whole
 * commit (records, audit outbox, counters) as one line of the write-ahead log (the file itself is
 * rewritten now and then, as a checkpoint).
 */
export function lowdbRecordStore(store: StateStore): RecordStore {
  // Claims are decided in memory, synchronously (one process: two copies arriving together cannot
  // both pass), and saved by an update queued at once, ahead of any write the request itself
  // causes: the ack never waits on the disk, and a kept purge always has its claim kept too.
  const claims = new Map(Object.entries(store.data.seenTriggers));
  // Claims past their time are dropped when the map has doubled since the last sweep: amortized
  // O(1) per claim, where sweeping on every claim made a burst O(n²).
  let sweptSize = claims.size;
  return {
    async get(kind, id) {
      const live = collection(store.data as StoreData, kind).find((r) => r.id === id);
      // Stored records are frozen (commit-document.ts): handed out as they are, never copied.
      if (live) return live as RecordKinds[typeof kind];
      if (
        kind === "purge" ||
        kind === "batch" ||
        kind === "approval" ||
        kind === "change" ||
        kind === "environment"
      )
        return (await store.findArchived(kind, id)) as RecordKinds[typeof kind] | undefined;
      return undefined;
    },
    async list(kind) {
      return [...collection(store.data as StoreData, kind)] as RecordKinds[typeof kind][];
    },
    async commit(commit: Commit, at: number) {
      await store.log({ type: "commit", commit, at });
    },
    async pathsBilled(month) {
      return store.data.pathsBilled[month] ?? 0;
    },
    async claimTrigger(triggerId, until, now) {
      const held = claims.get(triggerId);
      if (held !== undefined && held > now) return false;
      claims.set(triggerId, until);
      if (claims.size > 2 * sweptSize + 64) {
        for (const [id, expiry] of claims) if (expiry <= now) claims.delete(id);
        sweptSize = claims.size;
      }
      void store.log({ type: "claim", triggerId, until, now }).catch(() => undefined); // an unwritable state file fails the request's own first write, in words
      return true;
    },
    async holdLease(name, holder, until, now) {
      let held = false;
      await store.update((data) => {
        const current = data.leases[name];
        if (current && current.holder !== holder && current.until > now) return;
        data.leases[name] = { holder, until };
        held = true;
      });
      return held;
    },
    async releaseLease(name, holder) {
      await store.update((data) => {
        if (data.leases[name]?.holder === holder) delete data.leases[name];
      });
    },
    get audit(): AuditReader {
      return store.audit;
    },
  };
}
