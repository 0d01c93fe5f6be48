import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { ImportOutcome, ImportTarget } from "../store/store-transfer.js";
import { type Item, tableItems } from "./dynamodb-items.js";

/**
 * The DynamoDB table as the target of `npm run migrate -- --to dynamodb`. Every item is put only
 * where its key is free; where it is taken, the item there is compared with the one to write, so a
 * migration run again after an interruption finishes the job, and one run into a table a bot has
 * used already says what differs and overwrites nothing.
 */
export function dynamoDbImportTarget(
  client: DynamoDBClient,
  table: string,
  retentionMs: number,
): ImportTarget {
  const db = DynamoDBDocumentClient.from(client);

  async function putNew(
    item: Item,
    sameAs: (there: Record<string, unknown>) => boolean,
  ): Promise<ImportOutcome> {
    try {
      await db.send(
        new PutCommand({ TableName: table, Item: item, ConditionExpression: "attribute_not_exists(pk)" }),
      );
      return "copied";
    } catch (error) {
      if ((error as Error).name !== "ConditionalCheckFailedException") throw error;
    }
    const there = await db.send(
      new GetCommand({ TableName: table, Key: { pk: item.pk, sk: item.sk }, ConsistentRead: true }),
    );
    return there.Item && sameAs(there.Item) ? "same" : "different";
  }

  const sameBody = (item: Item) => (there: Record<string, unknown>) => there.body === item.body;

  return {
    importRecord(kind, record, created) {
      const item = tableItems.record(kind, record, created);
      return putNew(item, sameBody(item));
    },
    importArchived({ kind, record }, archivedAt) {
      const item = tableItems.archived(kind, record, archivedAt + retentionMs);
      return putNew(item, sameBody(item));
    },
    importAudit(entry) {
      const item = tableItems.audit(entry);
      return putNew(item, sameBody(item));
    },
    importPathsBilled(month, paths) {
      return putNew({ ...tableItems.billing(month), n: paths }, (there) => Number(there.n) === paths);
    },
    async reserveAuditUpTo(seq) {
      try {
        await db.send(
          new UpdateCommand({
            TableName: table,
            Key: tableItems.auditCounter,
            UpdateExpression: "SET n = :seq",
            ConditionExpression: "attribute_not_exists(n) OR n < :seq",
            ExpressionAttributeValues: { ":seq": seq },
          }),
        );
      } catch (error) {
        // Numbered past it already: nothing to raise.
        if ((error as Error).name !== "ConditionalCheckFailedException") throw error;
      }
    },
  };
}
