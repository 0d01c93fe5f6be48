import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestBed, type TestBed } from "../support/test-bed.js";

let bed: TestBed;

beforeAll(async () => {
  bed = await startTestBed({
    strict: { invalidationCompletesAfterMs: 1000 },
    extraConfig: () => "store:\n  dynamodb:\n    table: cdnbot-state\n",
  });
});
afterAll(async () => {
  await bed?.close();
});

describe("state in DynamoDB (store.dynamodb.table)", () => {
  it("makes the table, keeps a purge's whole life in it (no state file), and a restarted bot still has it", async () => {
    expect(bed.bot.output()).toMatch(/"table":"cdnbot-state","msg":"Created the DynamoDB table"/);

    await bed.command("purge web /index.html", { userId: "UALICE", channelId: "CDYNAMO" });
    const done = await bed.fake.waitForCall(
      "chat.postMessage",
      (b) => b.channel === "CDYNAMO" && /Completed in \d+s/.test(String(b.text)),
      20_000,
    );
    const invalidationId = /Invalidation (\S+) Completed/.exec(String(done.body.text))?.[1];
    expect(existsSync(bed.bot.dataFile)).toBe(false);

    await bed.restartBot("kill");
    const audit = await bed.command("audit web", { userId: "UBOB", channelId: "CDYNAMO" });
    const { body } = await bed.fake.waitForReply(audit.responseUrl);
    expect(String(body.text)).toContain(invalidationId);
    expect(String(body.text)).toMatch(/purge requested/);
  });
});
