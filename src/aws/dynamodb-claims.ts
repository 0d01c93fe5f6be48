import { DeleteCommand, type DynamoDBDocumentClient, PutCommand } from "@aws-sdk/lib-dynamodb";
import type { RecordStore } from "../store/record-store.js";

/**
 * What replicas claim on the table, each a conditional put: a Slack trigger id (taken once; one
 * whose time has passed may be taken again) and a named lease (held by one replica until it lapses
 * or is let go).
 */
export function claimCalls(
  db: DynamoDBDocumentClient,
  table: string,
): Pick<RecordStore, "claimTrigger" | "holdLease" | "releaseLease"> {
  return {
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
  };
}
