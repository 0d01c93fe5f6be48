import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceNotFoundException,
  UpdateTimeToLiveCommand,
} from "@aws-sdk/client-dynamodb";
import {
  DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  type QueryCommandOutput,
} from "@aws-sdk/lib-dynamodb";
import type { AuditQuery, AuditStream } from "../store/audit-journal.js";
import type { RecordKind, RecordKinds, RecordStore } from "../store/record-store.js";
import { type AuditEntry, auditEntrySchema } from "../store/records.js";
import { type AwsTimeouts, awsClientTimeouts } from "./aws-timeouts.js";
import { claimCalls } from "./dynamodb-claims.js";
import { commitToTable } from "./dynamodb-commit.js";
import { archivedPk, type Item, KEY_SCHEMA, tableItems } from "./dynamodb-items.js";
import { settleRecords } from "./dynamodb-settle.js";

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

  const store: DynamoDbRecordStore = {
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

    commit: (commit, at) => commitToTable(db, table, commit, at),

    settle: (now, retentionMs) => settleRecords(db, table, store, now, retentionMs),

    async pathsBilled(month) {
      const out = await db.send(
        new GetCommand({ TableName: table, Key: tableItems.billing(month), ConsistentRead: true }),
      );
      return Number(out.Item?.n ?? 0);
    },

    ...claimCalls(db, table),

    audit: {
      entries: auditEntries,
      async query(query: AuditQuery) {
        const found: AuditEntry[] = [];
        for await (const entry of auditEntries(query)) found.push(entry);
        return found;
      },
    },
  };
  return store;
}
