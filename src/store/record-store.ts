import type { AuditReader } from "./audit-journal.js";
import type {
  AlertState,
  ApprovalRequest,
  AuditRecord,
  ChangeOperation,
  Environment,
  PurgeBatch,
  PurgeOperation,
  Review,
  Step,
  Watch,
} from "./records.js";

/** Every kind of record the workflows keep, by the name a write uses. */
export type RecordKinds = {
  approval: ApprovalRequest;
  purge: PurgeOperation;
  batch: PurgeBatch;
  change: ChangeOperation;
  environment: Environment;
  watch: Watch;
  alert: AlertState & { id: string };
  review: Review;
  step: Step;
};
export type RecordKind = keyof RecordKinds;

/**
 * One write of a commit. A replace or delete names the version it expects to find: the condition
 * that makes two writers (two requests, two replicas) unable to both move the same record.
 */
export type RecordWrite = {
  [K in RecordKind]:
    | { kind: K; op: "create"; record: RecordKinds[K] }
    | { kind: K; op: "replace"; record: RecordKinds[K]; expectedVersion: number }
    | { kind: K; op: "delete"; id: string; expectedVersion: number };
}[RecordKind];

/** The id of the record a write touches. */
export function writeId(write: RecordWrite): string {
  return write.op === "delete" ? write.id : write.record.id;
}

/** Writes that land together or not at all, with the audit entries that record them. */
export type Commit = {
  writes: RecordWrite[];
  audit?: AuditRecord[];
  /** Invalidation paths to add to a month's count (AWS bills per path, per calendar month). */
  /**
   * Paths this commit bills: the month's, and each API client's share of them (kept under
   * `<month>/<client>`, for its own `monthlyPathCap`).
   */
  billPaths?: { month: string; paths: number; byClient?: Record<string, number> };
};

/** A write's condition failed: another writer moved the record first. Nothing of the commit landed. */
export class ConflictError extends Error {
  override readonly name = "ConflictError";
  constructor(
    readonly kind: RecordKind,
    readonly id: string,
    readonly reason: "exists" | "missing" | "moved",
  ) {
    super(
      `${kind} ${id} ${reason === "exists" ? "already exists" : reason === "missing" ? "is gone" : "was changed by another writer"}`,
    );
  }
}

/**
 * Where the workflows keep their records: the one interface every store implements (lowdb for one
 * process; DynamoDB for several), tested by one contract suite. Records carry a `version`, bumped by
 * every replace; a commit is conditional on the versions it names.
 */
export interface RecordStore {
  /** A record by id: live, or finished and still retained. */
  get<K extends RecordKind>(kind: K, id: string): Promise<RecordKinds[K] | undefined>;
  /** The live records of a kind (work in flight, open requests, watches), oldest first. */
  list<K extends RecordKind>(kind: K): Promise<RecordKinds[K][]>;
  /** Applies every write or none; a failed condition throws ConflictError. */
  commit(commit: Commit, at: number): Promise<void>;
  /** Invalidation paths billed in a month (`2026-11`). */
  pathsBilled(month: string): Promise<number>;
  /** True the first time a Slack trigger id is claimed while its claim lasts; false for a repeat. */
  claimTrigger(triggerId: string, until: number, now: number): Promise<boolean>;
  /**
   * Takes or renews the lease `name` for `holder` until `until`: true when it is free, lapsed, or
   * already this holder's; false while another holder has it. What makes one replica of several do
   * a piece of work (poll a distribution), and another take it over when the first stops renewing.
   */
  holdLease(name: string, holder: string, until: number, now: number): Promise<boolean>;
  /** Lets the lease go at once if `holder` has it (a replica stopping hands its work over). */
  releaseLease(name: string, holder: string): Promise<void>;
  readonly audit: AuditReader;
}

/** The id of an alert state: one per watch and metric. */
export function alertStateId(watchId: string, metric: string): string {
  return `${watchId}:${metric}`;
}
