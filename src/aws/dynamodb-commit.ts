import { TransactionCanceledException } from "@aws-sdk/client-dynamodb";
import {
  type DynamoDBDocumentClient,
  GetCommand,
  TransactWriteCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import { clientBillingKey } from "../store/calendar-month.js";
import { type Commit, ConflictError, type RecordWrite, writeId } from "../store/record-store.js";
import type { AuditEntry } from "../store/records.js";
import { MAX_TRANSACTION_ITEMS, tableItems } from "./dynamodb-items.js";

/**
 * A commit as one TransactWriteItems: every record write conditional on the version it names, the
 * audit entries (numbered before the transaction) and the month's billed paths with them or not at
 * all. A transaction refused on a condition is the ConflictError the record store promises.
 */
export async function commitToTable(
  db: DynamoDBDocumentClient,
  table: string,
  commit: Commit,
  at: number,
): Promise<void> {
  const audit = commit.audit ?? [];
  const items: object[] = commit.writes.map((w) => writeItem(table, w, at));
  if (audit.length > 0) {
    const first = await reserveSeqs(db, table, audit.length);
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
    if (error instanceof TransactionCanceledException)
      throw await conflictOf(db, table, error, commit.writes);
    throw error;
  }
}

/** Reserves `count` audit numbers; returns the first. */
async function reserveSeqs(db: DynamoDBDocumentClient, table: string, count: number): Promise<number> {
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

function writeItem(table: string, write: RecordWrite, at: number) {
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
  db: DynamoDBDocumentClient,
  table: string,
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
