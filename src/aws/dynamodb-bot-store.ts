import { StartupError } from "../errors.js";
import type { Logger } from "../logger.js";
import type { BotStore } from "../store/bot-store.js";
import { describeAwsError } from "./aws-errors.js";
import type { AwsTimeouts } from "./aws-timeouts.js";
import { createDynamoDbClient, dynamoDbRecordStore, ensureRecordTable } from "./dynamodb-record-store.js";
import { DYNAMODB_TABLE_SETUP_ACTIONS } from "./iam-policy.js";

/**
 * The bot's store on a DynamoDB table, shared by every replica. The table is made on first start
 * when the credentials allow it; otherwise start-up stops with the command that makes it.
 */
export async function openDynamoDbStore(options: {
  table: string;
  timeouts: AwsTimeouts;
  retentionMs: number;
  logger: Logger;
}): Promise<BotStore> {
  const client = createDynamoDbClient(options.timeouts);
  try {
    const outcome = await ensureRecordTable(client, options.table);
    options.logger.info(
      outcome === "created" ? "Created the DynamoDB table" : "Keeping the state in the DynamoDB table",
      { table: options.table },
    );
  } catch (error) {
    const problem = describeAwsError(error);
    throw new StartupError(
      problem.code.startsWith("AccessDenied")
        ? `the DynamoDB table ${options.table} is missing and these credentials may not create it (${DYNAMODB_TABLE_SETUP_ACTIONS.join(", ")}): run \`npm run create-table\` with credentials that may, or create it as docs/state-and-replicas.md says.`
        : `the DynamoDB table ${options.table} cannot be reached: ${problem.explanation}`,
    );
  }
  const records = dynamoDbRecordStore({ table: options.table, timeouts: options.timeouts, client });
  return {
    records,
    settle: (now) => records.settle(now, options.retentionMs),
    // Every write is already in the table when its commit returns.
    flush: async () => {},
    shared: true,
  };
}
