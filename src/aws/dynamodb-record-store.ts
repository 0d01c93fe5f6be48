import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceNotFoundException,
  TransactionCanceledException,
  UpdateTimeToLiveCommand,
} from "@aws-sdk/client-dynamodb";
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandOutput,
  TransactWriteCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import type { AuditQuery, AuditStream } from "../store/audit-journal.js";
import { clientBillingKey } from "../store/calendar-month.js";
import {
  type Commit,
  ConflictError,
  type RecordKind,
  type RecordKinds,
  type RecordStore,
  type RecordWrite,
  writeId,
} from "../store/record-store.js";
import { type AuditEntry, auditEntrySchema, emptyStoreData } from "../store/records.js";
import { findSettled } from "../store/settled-records.js";
import { type AwsTimeouts, awsClientTimeouts } from "./aws-timeouts.js";

/**
 * The record store on DynamoDB, for several replicas: one table, single-table design.
 *
 *   pk              sk                what
 *   <kind>          <record id>       a record: `version` (the condition of every write), `created`
 *                                     (the commit's time, for oldest-first lists), `body` (its JSON)
 *   audit           <seq, 16 digits>  an audit entry (`body`), numbered from the `counter` item
 *   counter         audit             the last audit number handed out (`n`)
 *   billing         <YYYY-MM>         invalidation paths billed that month (`n`)
 *   trigger         <trigger id>      a claimed Slack trigger id, until `until`; `expires` is the TTL
 *   lease           <name>            who holds a lease (`holder`) and until when (`until`)
 *   archived#<kind> <record id>       a finished record (`body`), kept until `expires` (the TTL)
 *
 * A commit is one TransactWriteItems: every record write is conditional on the version it names, and
 * the audit entries and the month's count land with them or not at all. Audit numbers are reserved
 * before the transaction (an atomic counter), so a transaction that fails leaves a gap, never a
 * duplicate: entries are ordered, not contiguous. Records are stored as JSON text: DynamoDB's own
 * types would refuse the empty strings and sparse objects a record may hold.
 */

export const KEY_SCHEMA = { pk: "pk", sk: "sk" } as const;
/** DynamoDB's limit on the items of one transaction. */
const MAX_TRANSACTION_ITEMS = 100;

export type Item = Record<string, unknown> & { pk: string; sk: string };

const archivedPk = (kind: string) => `archived#${kind}`;

const seqKey = (seq: number) => String(seq).padStart(16, "0");

/** The items of the table, built in one place (the store and `npm run migrate` both write them). */
export const tableItems = {
  record: (kind: string, record: { id: string; version: number }, created: number): Item => ({
    pk: kind,
    sk: record.id,
    version: record.version,
    created,
    body: JSON.stringify(record),
  }),
  archived: (kind: string, record: { id: string }, expiresAt: number): Item => ({
    pk: archivedPk(kind),
    sk: record.id,
    body: JSON.stringify(record),
    expires: Math.ceil(expiresAt / 1000),
  }),
  audit: (entry: AuditEntry): Item => ({ pk: "audit", sk: seqKey(entry.seq), body: JSON.stringify(entry) }),
  auditCounter: { pk: "counter", sk: "audit" },
  billing: (month: string) => ({ pk: "billing", sk: month }),
};

export type DynamoDbStoreOptions = { table: string; timeouts: AwsTimeouts; client?: DynamoDBClient };

export function createDynamoDbClient(timeouts: AwsTimeouts): DynamoDBClient {
  // The region and endpoint come from the SDK's standard chain (AWS_REGION, AWS_ENDPOINT_URL_DYNAMODB).
  return new DynamoDBClient({ ...awsClientTimeouts(timeouts) });
}

/** Creates the table (on-demand capacity, TTL on `expires`) unless it exists. */
export async function ensureRecordTable(
  client: DynamoDBClient,
  table: string,
): Promise<"created" | "exists"> {
  try {
    await client.send(new DescribeTableCommand({ TableName: table }));
    return "exists";
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
  }
  await client.send(
    new CreateTableCommand({
      TableName: table,
      BillingMode: "PAY_PER_REQUEST",
      AttributeDefinitions: [
        { AttributeName: KEY_SCHEMA.pk, AttributeType: "S" },
        { AttributeName: KEY_SCHEMA.sk, AttributeType: "S" },
      ],
      KeySchema: [
        { AttributeName: KEY_SCHEMA.pk, KeyType: "HASH" },
        { AttributeName: KEY_SCHEMA.sk, KeyType: "RANGE" },
      ],
    }),
  );
  for (let i = 0; i < 60; i++) {
    const out = await client.send(new DescribeTableCommand({ TableName: table }));
    if (out.Table?.TableStatus === "ACTIVE") break;
    await new Promise((r) => setTimeout(r, 1000));
  }
  await client.send(
    new UpdateTimeToLiveCommand({
      TableName: table,
      TimeToLiveSpecification: { AttributeName: "expires", Enabled: true },
    }),
  );
  return "created";
}

/** The record store, and its housekeeping: finished records leave the live set. */
export type DynamoDbRecordStore = Omit<RecordStore, "audit"> & {
  readonly audit: AuditStream;
  /**
   * Moves the settled records (`store/settled-records.ts` decides which) out of their kind's live
   * partition into `archived#<kind>`, to expire after `retentionMs`; returns how many moved. Each
   * move is conditional on the version read: a record another replica moved or touched stays.
   */
  settle(now: number, retentionMs: number): Promise<number>;
};

export function dynamoDbRecordStore(options: DynamoDbStoreOptions): DynamoDbRecordStore {
  const { table } = options;
  const db = DynamoDBDocumentClient.from(options.client ?? createDynamoDbClient(options.timeouts));

  /** Every item of a partition, in key order (or reversed), read a page at a time. */
  async function* itemsOf(pk: string, forward: boolean): AsyncGenerator<Item> {
    let start: QueryCommandOutput["LastEvaluatedKey"];
    do {
      const out = await db.send(
        new QueryCommand({
          TableName: table,
          KeyConditionExpression: "pk = :pk",
          ExpressionAttributeValues: { ":pk": pk },
          ScanIndexForward: forward,
          ConsistentRead: true,
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      yield* (out.Items ?? []) as Item[];
      start = out.LastEvaluatedKey;
    } while (start);
  }

  /** The audit entries matching a query, newest first. */
  async function* auditEntries(query: AuditQuery): AsyncGenerator<AuditEntry> {
    let given = 0;
    for await (const item of itemsOf("audit", false)) {
      const parsed = auditEntrySchema.safeParse(JSON.parse(String(item.body)));
      if (!parsed.success) continue;
      // Numbers are reserved before each transaction, so across replicas a later number may carry
      // an earlier time by a little: skip, do not stop, at the first entry before `since`.
      if (query.since !== undefined && parsed.data.at < query.since) continue;
      if (query.distributionId !== undefined && parsed.data.distributionId !== query.distributionId) continue;
      yield parsed.data;
      if (query.limit !== undefined && ++given >= query.limit) return;
    }
  }

  /** Reserves `count` audit numbers; returns the first. */
  async function reserveSeqs(count: number): Promise<number> {
    const out = await db.send(
      new UpdateCommand({
        TableName: table,
        Key: tableItems.auditCounter,
        UpdateExpression: "ADD n :count",
        ExpressionAttributeValues: { ":count": count },
        ReturnValues: "UPDATED_NEW",
      }),
    );
    return Number(out.Attributes?.n) - count + 1;
  }

  function writeItem(write: RecordWrite, at: number) {
    const key = { pk: write.kind, sk: writeId(write) };
    if (write.op === "delete")
      return {
        Delete: {
          TableName: table,
          Key: key,
          ConditionExpression: "version = :expected",
          ExpressionAttributeValues: { ":expected": write.expectedVersion },
        },
      };
    const version = write.op === "create" ? write.record.version : write.expectedVersion + 1;
    const body = JSON.stringify({ ...write.record, version });
    if (write.op === "create")
      return {
        Put: {
          TableName: table,
          Item: tableItems.record(write.kind, { ...write.record, version }, at),
          ConditionExpression: "attribute_not_exists(pk)",
        },
      };
    return {
      Update: {
        TableName: table,
        Key: key,
        UpdateExpression: "SET version = :version, body = :body",
        ConditionExpression: "version = :expected",
        ExpressionAttributeValues: { ":version": version, ":body": body, ":expected": write.expectedVersion },
      },
    };
  }

  /** Which write's condition failed, and why: what the ConflictError says. */
  async function conflictOf(
    error: TransactionCanceledException,
    writes: RecordWrite[],
  ): Promise<ConflictError> {
    const index = (error.CancellationReasons ?? []).findIndex((r) => r.Code === "ConditionalCheckFailed");
    const write = writes[index] ?? writes[0]!;
    if (write.op === "create") return new ConflictError(write.kind, writeId(write), "exists");
    const now = await db.send(
      new GetCommand({ TableName: table, Key: { pk: write.kind, sk: writeId(write) }, ConsistentRead: true }),
    );
    return new ConflictError(write.kind, writeId(write), now.Item ? "moved" : "missing");
  }

  return {
    async get(kind, id) {
      // Live first; then finished and still retained (until DynamoDB's TTL removes it).
      for (const pk of [kind, archivedPk(kind)]) {
        const out = await db.send(
          new GetCommand({ TableName: table, Key: { pk, sk: id }, ConsistentRead: true }),
        );
        if (out.Item) return JSON.parse(String(out.Item.body)) as RecordKinds[typeof kind];
      }
      return undefined;
    },

    async list<K extends RecordKind>(kind: K) {
      const found: { created: number; id: string; record: RecordKinds[K] }[] = [];
      for await (const item of itemsOf(kind, true))
        found.push({ created: Number(item.created), id: item.sk, record: JSON.parse(String(item.body)) });
      return found.sort((a, b) => a.created - b.created || a.id.localeCompare(b.id)).map((f) => f.record);
    },

    async commit(commit: Commit, at: number) {
      const audit = commit.audit ?? [];
      const items: object[] = commit.writes.map((w) => writeItem(w, at));
      if (audit.length > 0) {
        const first = await reserveSeqs(audit.length);
        audit.forEach((record, i) => {
          const entry: AuditEntry = { seq: first + i, at, ...record };
          items.push({ Put: { TableName: table, Item: tableItems.audit(entry) } });
        });
      }
      if (commit.billPaths) {
        const { month, paths, byClient } = commit.billPaths;
        const bill = (key: string, n: number) =>
          items.push({
            Update: {
              TableName: table,
              Key: tableItems.billing(key),
              UpdateExpression: "ADD n :paths",
              ExpressionAttributeValues: { ":paths": n },
            },
          });
        bill(month, paths);
        for (const [client, n] of Object.entries(byClient ?? {})) bill(clientBillingKey(month, client), n);
      }
      if (items.length === 0) return;
      if (items.length > MAX_TRANSACTION_ITEMS)
        throw new Error(`a commit of ${items.length} items is more than one DynamoDB transaction holds`);
      try {
        // The SDK's own type for a transaction item is a union this builder does not name.
        await db.send(new TransactWriteCommand({ TransactItems: items as never }));
      } catch (error) {
        if (error instanceof TransactionCanceledException) throw await conflictOf(error, commit.writes);
        throw error;
      }
    },

    async settle(now, retentionMs) {
      const [operations, batches, changes, approvals, environments] = await Promise.all([
        this.list("purge"),
        this.list("batch"),
        this.list("change"),
        this.list("approval"),
        this.list("environment"),
      ]);
      // An approval whose purge or change was archived in an earlier pass goes too.
      const live = new Set([...operations, ...changes].map((r) => r.id));
      const archived = new Set<string>();
      for (const request of approvals) {
        if (request.state !== "approved" || live.has(request.id)) continue;
        const envId = request.payload.kind === "environment" ? request.payload.environmentId : undefined;
        if (envId && environments.some((e) => e.id === envId)) continue;
        for (const kind of envId ? (["environment"] as const) : (["purge", "change"] as const)) {
          const id = envId ?? request.id;
          const out = await db.send(
            new GetCommand({
              TableName: table,
              Key: { pk: archivedPk(kind), sk: id },
              ConsistentRead: true,
            }),
          );
          if (out.Item) archived.add(`${kind}:${id}`);
        }
      }
      const data = { ...emptyStoreData(), operations, batches, changes, approvals, environments };
      const settled = findSettled(data, now, (kind, id) => archived.has(`${kind}:${id}`));
      let moved = 0;
      for (const { kind, record } of settled) {
        try {
          await db.send(
            new TransactWriteCommand({
              TransactItems: [
                {
                  Delete: {
                    TableName: table,
                    Key: { pk: kind, sk: record.id },
                    ConditionExpression: "version = :version",
                    ExpressionAttributeValues: { ":version": record.version },
                  },
                },
                { Put: { TableName: table, Item: tableItems.archived(kind, record, now + retentionMs) } },
              ],
            }),
          );
          moved++;
        } catch (error) {
          if (!(error instanceof TransactionCanceledException)) throw error;
        }
      }
      return moved;
    },

    async pathsBilled(month) {
      const out = await db.send(
        new GetCommand({ TableName: table, Key: tableItems.billing(month), ConsistentRead: true }),
      );
      return Number(out.Item?.n ?? 0);
    },

    async claimTrigger(triggerId, until, now) {
      try {
        await db.send(
          new PutCommand({
            TableName: table,
            Item: { pk: "trigger", sk: triggerId, until, expires: Math.ceil(until / 1000) },
            // A claim is taken once; one whose time has passed may be taken again.
            ConditionExpression: "attribute_not_exists(pk) OR #until <= :now",
            ExpressionAttributeNames: { "#until": "until" },
            ExpressionAttributeValues: { ":now": now },
          }),
        );
        return true;
      } catch (error) {
        if ((error as Error).name === "ConditionalCheckFailedException") return false;
        throw error;
      }
    },

    async holdLease(name, holder, until, now) {
      try {
        await db.send(
          new PutCommand({
            TableName: table,
            Item: { pk: "lease", sk: name, holder, until },
            ConditionExpression: "attribute_not_exists(pk) OR holder = :holder OR #until <= :now",
            ExpressionAttributeNames: { "#until": "until" },
            ExpressionAttributeValues: { ":holder": holder, ":now": now },
          }),
        );
        return true;
      } catch (error) {
        if ((error as Error).name === "ConditionalCheckFailedException") return false;
        throw error;
      }
    },

    async releaseLease(name, holder) {
      try {
        await db.send(
          new DeleteCommand({
            TableName: table,
            Key: { pk: "lease", sk: name },
            ConditionExpression: "holder = :holder",
            ExpressionAttributeValues: { ":holder": holder },
          }),
        );
      } catch (error) {
        // Someone else's by now, or gone: nothing of ours to let go.
        if ((error as Error).name !== "ConditionalCheckFailedException") throw error;
      }
    },

    audit: {
      entries: auditEntries,
      async query(query: AuditQuery) {
        const found: AuditEntry[] = [];
        for await (const entry of auditEntries(query)) found.push(entry);
        return found;
      },
    },
  };
}
