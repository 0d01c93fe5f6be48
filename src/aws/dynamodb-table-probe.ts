import { DescribeTableCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, PutCommand, QueryCommand } from "@aws-sdk/lib-dynamodb";
import { KEY_SCHEMA } from "./dynamodb-items.js";

/** What `npm run doctor` asks of the state table, reading only. */
export type TableProbe = {
  readonly table: string;
  /** Whether the table's keys are the store's (string `pk` and `sk`); throws when it is missing. */
  hasStoreKeys(): Promise<boolean>;
  read(): Promise<void>;
  /** A put whose condition can never hold: AWS checks the permission, and nothing is written. */
  write(): Promise<void>;
};

export function createTableProbe(client: DynamoDBClient, table: string): TableProbe {
  const db = DynamoDBDocumentClient.from(client);
  return {
    table,
    async hasStoreKeys() {
      const { Table } = await client.send(new DescribeTableCommand({ TableName: table }));
      const typeOf = (name: string) =>
        Table?.AttributeDefinitions?.find((a) => a.AttributeName === name)?.AttributeType;
      const roleOf = (name: string) => Table?.KeySchema?.find((k) => k.AttributeName === name)?.KeyType;
      return (
        roleOf(KEY_SCHEMA.pk) === "HASH" &&
        roleOf(KEY_SCHEMA.sk) === "RANGE" &&
        typeOf(KEY_SCHEMA.pk) === "S" &&
        typeOf(KEY_SCHEMA.sk) === "S"
      );
    },
    async read() {
      await db.send(
        new QueryCommand({
          TableName: table,
          KeyConditionExpression: "pk = :pk",
          ExpressionAttributeValues: { ":pk": "counter" },
          Limit: 1,
        }),
      );
    },
    async write() {
      try {
        await db.send(
          new PutCommand({
            TableName: table,
            Item: { pk: "doctor", sk: "probe" },
            ConditionExpression: "attribute_exists(pk) AND attribute_not_exists(pk)",
          }),
        );
      } catch (error) {
        if ((error as Error).name !== "ConditionalCheckFailedException") throw error;
      }
    },
  };
}
