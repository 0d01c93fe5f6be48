import type { AuditReader } from "./audit-journal.js";
import { appendAudit } from "./audit-outbox.js";
import {
  alertStateId,
  type Commit,
  ConflictError,
  type RecordKind,
  type RecordKinds,
  type RecordStore,
  type RecordWrite,
  writeId,
} from "./record-store.js";
import type { StoreData } from "./records.js";
import type { StateStore } from "./state-store.js";

type Stored = { id: string; version: number };

/** Where each kind lives in the state document. */
const FIELD = {
  approval: "approvals",
  purge: "operations",
  batch: "batches",
  change: "changes",
  environment: "environments",
  watch: "watches",
} as const satisfies Record<Exclude<RecordKind, "alert">, keyof StoreData>;

function collection(data: StoreData, kind: RecordKind): Stored[] {
  // Alert states are keyed by watch and metric; their id is derived, not stored.
  if (kind === "alert") return data.alertStates.map((s) => ({ ...s, id: alertStateId(s.watchId, s.metric) }));
  return data[FIELD[kind]];
}

function replaceCollection(data: StoreData, kind: RecordKind, records: Stored[]): void {
  if (kind === "alert") {
    data.alertStates = (records as RecordKinds["alert"][]).map(({ id: _derived, ...state }) => state);
    return;
  }
  // The records were checked against this kind's schema type where they were made (RecordWrite).
  (data as Record<string, unknown>)[FIELD[kind]] = records;
}

/** Checks a write's condition against the document as it is; throws what a conditional write would. */
function check(data: StoreData, write: RecordWrite): void {
  const id = writeId(write);
  const current = collection(data, write.kind).find((r) => r.id === id);
  if (write.op === "create") {
    if (current) throw new ConflictError(write.kind, id, "exists");
    return;
  }
  if (!current) throw new ConflictError(write.kind, id, "missing");
  if (current.version !== write.expectedVersion) throw new ConflictError(write.kind, id, "moved");
}

function apply(data: StoreData, write: RecordWrite): void {
  const id = writeId(write);
  const records = collection(data, write.kind);
  if (write.op === "delete") {
    replaceCollection(
      data,
      write.kind,
      records.filter((r) => r.id !== id),
    );
    return;
  }
  const stored = structuredClone({
    ...write.record,
    version: write.op === "create" ? write.record.version : write.expectedVersion + 1,
  });
  const index = records.findIndex((r) => r.id === id);
  replaceCollection(data, write.kind, index < 0 ? [...records, stored] : records.with(index, stored));
}

/**
 * The record store on lowdb, for one process: a commit is one `StateStore.update`, whose queue
 * serializes writers, checks every condition before applying anything, and saves the whole
 * commit (records, audit outbox, counters) in one write of the file.
 */
export function lowdbRecordStore(store: StateStore): RecordStore {
  // Claims are decided in memory, synchronously (one process: two copies arriving together cannot
  // both pass), and saved by an update queued at once, ahead of any write the request itself
  // causes: the ack never waits on the disk, and a kept purge always has its claim kept too.
  const claims = new Map(Object.entries(store.data.seenTriggers));
  return {
    async get(kind, id) {
      const live = collection(store.data as StoreData, kind).find((r) => r.id === id);
      if (live) return structuredClone(live) as RecordKinds[typeof kind];
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
      return structuredClone(collection(store.data as StoreData, kind)) as RecordKinds[typeof kind][];
    },
    async commit(commit: Commit, at: number) {
      await store.update((data) => {
        for (const write of commit.writes) check(data, write);
        for (const write of commit.writes) apply(data, write);
        for (const record of commit.audit ?? []) appendAudit(data, at, record);
        if (commit.billPaths) {
          const { month, paths } = commit.billPaths;
          data.pathsBilled[month] = (data.pathsBilled[month] ?? 0) + paths;
        }
      });
    },
    async pathsBilled(month) {
      return store.data.pathsBilled[month] ?? 0;
    },
    async claimTrigger(triggerId, until, now) {
      const held = claims.get(triggerId);
      if (held !== undefined && held > now) return false;
      claims.set(triggerId, until);
      // Claims past their time are dropped as new ones come in: the map stays the size of a window.
      for (const [id, expiry] of claims) if (expiry <= now) claims.delete(id);
      const kept = Object.fromEntries(claims);
      void store
        .update((data) => {
          data.seenTriggers = kept;
        })
        .catch(() => undefined); // an unwritable state file fails the request's own first write, in words
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
