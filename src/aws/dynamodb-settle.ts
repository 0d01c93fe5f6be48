import { TransactionCanceledException } from "@aws-sdk/client-dynamodb";
import { type DynamoDBDocumentClient, GetCommand, TransactWriteCommand } from "@aws-sdk/lib-dynamodb";
import type { RecordStore } from "../store/record-store.js";
import { emptyStoreData } from "../store/records.js";
import { findSettled } from "../store/settled-records.js";
import { archivedPk, tableItems } from "./dynamodb-items.js";

/**
 * Moves the settled records (`store/settled-records.ts` decides which) out of their kind's live
 * partition into `archived#<kind>`, to expire after `retentionMs`; returns how many moved. Each
 * move is conditional on the version read: a record another replica moved or touched stays.
 */
export async function settleRecords(
  db: DynamoDBDocumentClient,
  table: string,
  records: Pick<RecordStore, "list">,
  now: number,
  retentionMs: number,
): Promise<number> {
  const [operations, batches, changes, approvals, environments] = await Promise.all([
    records.list("purge"),
    records.list("batch"),
    records.list("change"),
    records.list("approval"),
    records.list("environment"),
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
}
