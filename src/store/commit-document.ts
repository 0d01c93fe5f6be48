import { appendAudit } from "./audit-outbox.js";
import { clientBillingKey } from "./calendar-month.js";
import {
  alertStateId,
  type Commit,
  ConflictError,
  type RecordKind,
  type RecordKinds,
  type RecordWrite,
  writeId,
} from "./record-store.js";
import type { StoreData } from "./records.js";

// What one commit of the lowdb record store does to the state document: check every condition,
// then apply every write, the audit entries and the billed paths. Pure on the document, so the
// same function applies a commit when it is made and again when the write-ahead log is replayed
// after a crash (where its conditions hold again: the document is as it was then).

type Stored = { id: string; version: number };

/** Where each kind lives in the state document. */
const FIELD = {
  approval: "approvals",
  purge: "operations",
  batch: "batches",
  change: "changes",
  environment: "environments",
  watch: "watches",
  review: "reviews",
  step: "steps",
} as const satisfies Record<Exclude<RecordKind, "alert">, keyof StoreData>;

export function collection(data: StoreData, kind: RecordKind): Stored[] {
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

/** Checks a write's condition against the record stored under its id; throws what a conditional write would. */
function check(current: Stored | undefined, write: RecordWrite): void {
  const id = writeId(write);
  if (write.op === "create") {
    if (current) throw new ConflictError(write.kind, id, "exists");
    return;
  }
  if (!current) throw new ConflictError(write.kind, id, "missing");
  if (current.version !== write.expectedVersion) throw new ConflictError(write.kind, id, "moved");
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

function stored(write: Exclude<RecordWrite, { op: "delete" }>): Stored {
  // Stored frozen: readers are handed the stored record itself rather than a copy of it (a copy
  // of every live purge per list was the largest cost of a burst), so nobody may change it in
  // place; a change is a new record, committed.
  return deepFreeze(
    structuredClone({
      ...write.record,
      version: write.op === "create" ? write.record.version : write.expectedVersion + 1,
    }),
  );
}

/**
 * Applies a commit to the document: all of it, or (a failed condition) none, throwing ConflictError.
 * Each kind's collection is indexed and copied once per commit, not once per write: the commit that
 * sends a batch moves every purge in it, and per-write copies made a burst's send O(n²).
 */
export function applyCommit(data: StoreData, commit: Commit, at: number): void {
  const byKind = new Map<RecordKind, { records: Stored[]; index: Map<string, number> }>();
  const kindOf = (kind: RecordKind) => {
    let entry = byKind.get(kind);
    if (!entry) {
      const records = collection(data, kind);
      entry = { records, index: new Map(records.map((r, i) => [r.id, i])) };
      byKind.set(kind, entry);
    }
    return entry;
  };
  // Every condition against the document as it was, then every write: a commit's writes name
  // distinct records, so checking them all first is checking each against what it will replace.
  for (const write of commit.writes) {
    const { records, index } = kindOf(write.kind);
    const position = index.get(writeId(write));
    check(position === undefined ? undefined : records[position], write);
  }
  for (const [kind, { records, index }] of byKind) {
    const next = [...records];
    const deleted = new Set<string>();
    for (const write of commit.writes) {
      if (write.kind !== kind) continue;
      const id = writeId(write);
      if (write.op === "delete") {
        deleted.add(id);
        continue;
      }
      const position = index.get(id);
      if (position === undefined) {
        index.set(id, next.length);
        next.push(stored(write));
      } else next[position] = stored(write);
    }
    replaceCollection(data, kind, deleted.size > 0 ? next.filter((r) => !deleted.has(r.id)) : next);
  }
  for (const record of commit.audit ?? []) appendAudit(data, at, record);
  if (commit.billPaths) {
    const { month, paths, byClient } = commit.billPaths;
    data.pathsBilled[month] = (data.pathsBilled[month] ?? 0) + paths;
    for (const [client, n] of Object.entries(byClient ?? {})) {
      const key = clientBillingKey(month, client);
      data.pathsBilled[key] = (data.pathsBilled[key] ?? 0) + n;
    }
  }
}

/**
 * Keeps a Slack trigger id as claimed until `until`. Claims past their time are dropped only when
 * the state is written whole (`unexpiredClaims`): an expired claim decides nothing, and walking
 * them all on every claim made a burst O(n²).
 */
export function applyClaim(data: StoreData, triggerId: string, until: number): void {
  data.seenTriggers[triggerId] = until;
}

/** The claims still in force at `now`. */
export function unexpiredClaims(claims: Record<string, number>, now: number): Record<string, number> {
  const kept: Record<string, number> = {};
  for (const [id, expiry] of Object.entries(claims)) if (expiry > now) kept[id] = expiry;
  return kept;
}
