import { randomUUID } from "node:crypto";
import { afterAll, beforeAll } from "vitest";
import {
  createDynamoDbClient,
  dynamoDbRecordStore,
  ensureRecordTable,
} from "../../src/aws/dynamodb-record-store.js";
import { recordStoreContract } from "../contract/record-store-contract.js";
import { type MotoServer, startMoto } from "../support/moto.js";

let moto: MotoServer;
const saved = { ...process.env };

beforeAll(async () => {
  moto = await startMoto();
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_DYNAMODB: moto.url,
    AWS_ACCESS_KEY_ID: "testing",
    AWS_SECRET_ACCESS_KEY: "testing",
    AWS_REGION: "eu-west-1",
  });
});
afterAll(async () => {
  process.env = saved;
  await moto?.stop();
});

recordStoreContract("DynamoDB (moto_server)", {
  async open() {
    // A table of its own for each case: a fresh backing, as the contract asks.
    const table = `cdnbot-${randomUUID().slice(0, 8)}`;
    const timeouts = { requestMs: 5_000 };
    await ensureRecordTable(createDynamoDbClient(timeouts), table);
    const open = () => dynamoDbRecordStore({ table, timeouts });
    return { store: open(), reopen: async () => open() };
  },
});
