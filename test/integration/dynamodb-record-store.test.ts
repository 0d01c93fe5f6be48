import { randomUUID } from "node:crypto";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dynamoDbImportTarget } from "../../src/aws/dynamodb-import.js";
import {
  createDynamoDbClient,
  dynamoDbRecordStore,
  ensureRecordTable,
} from "../../src/aws/dynamodb-record-store.js";
import { DYNAMODB_STORE_ACTIONS, DYNAMODB_TABLE_SETUP_ACTIONS } from "../../src/aws/iam-policy.js";
import { lowdbRecordStore } from "../../src/store/lowdb-record-store.js";
import { StateStore } from "../../src/store/state-store.js";
import { transferStore } from "../../src/store/store-transfer.js";
import { recordStoreContract } from "../contract/record-store-contract.js";
import { aPurge } from "../support/fixtures.js";
import { type MotoServer, startMoto } from "../support/moto.js";
import { type SerialProxy, startSerialProxy } from "../support/serial-proxy.js";

let moto: MotoServer;
let dynamodb: SerialProxy;
const saved = { ...process.env };

beforeAll(async () => {
  moto = await startMoto();
  // One call at a time: moto's conditional writes are atomic then, as DynamoDB's are.
  dynamodb = await startSerialProxy(moto.url);
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_DYNAMODB: dynamodb.url,
    AWS_ACCESS_KEY_ID: "testing",
    AWS_SECRET_ACCESS_KEY: "testing",
    AWS_REGION: "eu-west-1",
  });
});
afterAll(async () => {
  process.env = saved;
  await dynamodb?.close();
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

describe("the DynamoDB store's housekeeping and permissions", () => {
  const NOW = Date.UTC(2026, 10, 25, 12);

  it("moves settled records out of the live set, where a get still finds them until they expire", async () => {
    const table = `cdnbot-${randomUUID().slice(0, 8)}`;
    const timeouts = { requestMs: 5_000 };
    await ensureRecordTable(createDynamoDbClient(timeouts), table);
    const store = dynamoDbRecordStore({ table, timeouts });
    const done = aPurge({
      id: "p-done",
      state: "completed",
      finishedAt: NOW - 120_000,
      announced: { created: true, final: true },
    });
    await store.commit({ writes: [{ kind: "purge", op: "create", record: done }] }, NOW - 180_000);
    await store.commit({ writes: [{ kind: "purge", op: "create", record: aPurge({ id: "p-live" }) }] }, NOW);

    expect(await store.settle(NOW, 30 * 86_400_000)).toBe(1);

    expect((await store.list("purge")).map((p) => p.id)).toEqual(["p-live"]);
    expect(await store.get("purge", "p-done")).toMatchObject({ id: "p-done", state: "completed" });
    expect(await store.settle(NOW, 30 * 86_400_000)).toBe(0);
  });

  it("makes only the calls the IAM policy the code keeps grants for it", async () => {
    const table = `cdnbot-${randomUUID().slice(0, 8)}`;
    const client = createDynamoDbClient({ requestMs: 5_000 });
    const commands: string[] = [];
    client.middlewareStack.add(
      (next, context) => (args) => {
        commands.push(String(context.commandName).replace(/Command$/, ""));
        return next(args);
      },
      { step: "initialize" },
    );
    await ensureRecordTable(client, table);
    const store = dynamoDbRecordStore({ table, timeouts: { requestMs: 5_000 }, client });
    const purge = aPurge({ id: "p1" });
    await store.commit(
      {
        writes: [{ kind: "purge", op: "create", record: purge }],
        audit: [{ type: "purge.requested", summary: "x" }],
        billPaths: { month: "2026-11", paths: 1 },
      },
      NOW,
    );
    await store.commit(
      { writes: [{ kind: "purge", op: "replace", record: purge, expectedVersion: 0 }] },
      NOW,
    );
    await store.commit({ writes: [{ kind: "purge", op: "delete", id: "p1", expectedVersion: 1 }] }, NOW);
    await store.get("purge", "p1");
    await store.list("purge");
    await store.pathsBilled("2026-11");
    await store.claimTrigger("t1", NOW + 1, NOW);
    await store.holdLease("l1", "h", NOW + 1, NOW);
    await store.releaseLease("l1", "h");
    await store.audit.query({});
    await store.settle(NOW, 1);

    // A transaction is authorised as the writes it holds.
    const used = new Set(
      commands.flatMap((c) =>
        c === "TransactWriteItems"
          ? ["PutItem", "UpdateItem", "DeleteItem"]
          : [c.replace(/^(Get|Put|Update|Delete)$/, "$1Item")],
      ),
    );
    expect([...used].map((c) => `dynamodb:${c}`).sort()).toEqual(
      [...DYNAMODB_STORE_ACTIONS, ...DYNAMODB_TABLE_SETUP_ACTIONS].sort(),
    );
  });

  it("takes in a state file's live and finished records, audit and billing; a second run finds them the same", async () => {
    const dir = await mkdtemp(join(tmpdir(), "cdnbot-migrate-"));
    const retentionMs = 30 * 86_400_000;
    const state = await StateStore.open(join(dir, "cdnbot.json"), { retentionMs, clock: () => NOW });
    const lowdb = lowdbRecordStore(state);
    const done = aPurge({ id: "p-done", state: "completed", finishedAt: NOW - 3_600_000 });
    await lowdb.commit(
      {
        writes: [
          { kind: "purge", op: "create", record: { ...done, announced: { created: true, final: true } } },
        ],
        audit: [{ type: "purge.requested", summary: "the old one" }],
        billPaths: { month: "2026-11", paths: 7 },
      },
      NOW - 7_200_000,
    );
    await lowdb.commit({ writes: [{ kind: "purge", op: "create", record: aPurge({ id: "p-live" }) }] }, NOW);
    expect(await state.settle(NOW)).toBe(1);
    await state.flush();

    const table = `cdnbot-${randomUUID().slice(0, 8)}`;
    const client = createDynamoDbClient({ requestMs: 5_000 });
    await ensureRecordTable(client, table);
    const snapshot = async () => ({
      data: state.data,
      archived: state.archivedRecords(NOW),
      audit: (await StateStore.readAudit(join(dir, "cdnbot.json"))).entries({}),
    });
    const report = await transferStore(await snapshot(), dynamoDbImportTarget(client, table, retentionMs));
    expect(report).toEqual({
      copied: { purge: 1, "finished purge": 1, "audit entry": 1, "billed month": 1 },
      same: 0,
      different: [],
    });

    const moved = dynamoDbRecordStore({ table, timeouts: { requestMs: 5_000 } });
    expect((await moved.list("purge")).map((p) => p.id)).toEqual(["p-live"]);
    expect(await moved.get("purge", "p-done")).toMatchObject({ state: "completed" });
    expect(await moved.pathsBilled("2026-11")).toBe(7);
    expect((await moved.audit.query({})).map((e) => [e.seq, e.summary])).toEqual([[1, "the old one"]]);
    // New entries are numbered after the moved ones.
    await moved.commit({ writes: [], audit: [{ type: "purge.requested", summary: "after" }] }, NOW);
    expect((await moved.audit.query({ limit: 1 }))[0]).toMatchObject({ seq: 2, summary: "after" });

    const again = await transferStore(await snapshot(), dynamoDbImportTarget(client, table, retentionMs));
    expect(again).toEqual({ copied: {}, same: 4, different: [] });
  });
});
