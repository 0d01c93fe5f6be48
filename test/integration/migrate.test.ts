import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requestIdIn, text } from "../support/slack-text.js";
import { runCliProcess, startTestBed, type TestBed } from "../support/test-bed.js";

const TABLE = "store:\n  dynamodb:\n    table: cdnbot-migrated\n";
let bed: TestBed;

beforeAll(async () => {
  bed = await startTestBed({
    strict: { invalidationCompletesAfterMs: 300, deployAfterMs: 500 },
    // A cap of two paths a month: a two-path purge after the move needs approval only if the
    // month's billed path moved with the state.
    extraConfig: () => "purge:\n  monthlyPathCap: 2\n",
  });
});
afterAll(async () => {
  await bed?.close();
});

const migrate = (config: string) => runCliProcess(bed, ["migrate", "--to", "dynamodb"], config);

describe("npm run migrate -- --to dynamodb", () => {
  it("moves a lowdb state into the table: the bot carries on from it as if nothing happened", async () => {
    // Before: a finished purge (one billed path) and a change waiting for approval, in the state file.
    await bed.command("purge web /index.html", { userId: "UALICE", channelId: "CMIG" });
    const done = await bed.fake.waitForCall(
      "chat.postMessage",
      (m) => m.channel === "CMIG" && /Completed in \d+s/.test(String(m.text)),
      20_000,
    );
    const invalidationId = /Invalidation (\S+) Completed/.exec(text(done))?.[1];
    expect(invalidationId).toBeDefined();
    await bed.command("comment web Moved with care", { userId: "UALICE", channelId: "CMIG" });
    const request = await bed.fake.waitForCall("chat.postMessage", (m) =>
      /Pending approval/.test(String(m.text)),
    );
    const requestId = requestIdIn(text(request));

    await bed.bot.stop();
    const config = `${readFileSync(bed.bot.configFile, "utf8")}${TABLE}`;
    const first = await migrate(config);
    expect(first.stderr).not.toMatch(/cannot|Could not/);
    expect(first.status).toBe(0);
    expect(first.stdout).toMatch(/to the DynamoDB table cdnbot-migrated/);
    expect(first.stdout).toMatch(/^ {2}approval: 1$/m);
    expect(first.stdout).toMatch(/^ {2}purge: 1$/m);
    expect(first.stdout).toMatch(/^ {2}billed month: 1$/m);
    expect(first.stdout).toMatch(/^ {2}audit entry: \d+$/m);

    // Run again (as after an interruption): everything is there already, nothing is written twice.
    const again = await migrate(config);
    expect(again.status).toBe(0);
    expect(again.stdout).toMatch(/Copied nothing new/);
    expect(again.stdout).toMatch(/Already in the table, the same: \d+/);

    await bed.restartBot("stop", { appendConfig: TABLE });
    expect(bed.bot.output()).toMatch(
      /"table":"cdnbot-migrated","msg":"Keeping the state in the DynamoDB table"/,
    );

    // The audit log came along.
    const audit = await bed.command("audit web", { userId: "UBOB", channelId: "CMIG" });
    expect(text(await bed.fake.waitForReply(audit.responseUrl))).toContain(String(invalidationId));
    // And `npm run audit` reads it from the table too.
    const exported = await runCliProcess(
      bed,
      ["audit", "--json", "--distribution", "web"],
      readFileSync(bed.bot.configFile, "utf8"),
      { CDNBOT_DATA: "/nonexistent/cdnbot.json" },
    );
    expect(exported.status).toBe(0);
    const entries = exported.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { awsRequestId?: string; summary: string });
    expect(entries.some((e) => e.summary.includes(String(invalidationId)))).toBe(true);

    // The request asked before the move is approved after it, and the change is written.
    const pending = await bed.command("pending", { userId: "UBOB", channelId: "CMIG" });
    expect(text(await bed.fake.waitForReply(pending.responseUrl))).toContain(requestId);
    await bed.click("approval_approve", requestId, {
      userId: "UBOB",
      channelId: "CMIG",
      messageTs: String(request.response?.ts),
    });
    await bed.fake.waitForCall(
      "chat.postMessage",
      (m) => m.thread_ts === request.response?.ts && /is Deployed on web/.test(String(m.text)),
      20_000,
    );

    // One path billed before the move, two now: past the cap of two, so this one waits for approval.
    const purge = await bed.command("purge web /a.html /b.html", { userId: "UALICE", channelId: "CMIG" });
    await purge.done();
    const asked = bed.fake
      .callsTo("chat.postMessage")
      .filter((m) => /asks to purge 2 paths from web/.test(text(m)));
    expect(asked).toHaveLength(1);
    expect(text(asked[0]!)).toMatch(/^Pending approval: .*\(1 of 1,000 free paths used this month\)/);
  }, 90_000);

  it("refuses a table in use: what differs is listed and left as it is", async () => {
    // The table now holds the bot's own newer state; the state file is the old one.
    const config = `${readFileSync(bed.bot.configFile, "utf8")}`;
    const out = await migrate(config);
    expect(out.status).toBe(1);
    expect(out.stdout).toMatch(/Already in the table and different, left as they are: \d+/);
    expect(out.stdout).toMatch(/^ {2}approval R[0-9A-Z]{6}$/m);
    expect(out.stdout).toMatch(/migrate into a new, empty table/);
  }, 60_000);

  it("says what is missing: the table in the config, or the direction", async () => {
    const noTable = await migrate(readFileSync(bed.bot.configFile, "utf8").replace(TABLE, ""));
    expect(noTable.status).toBe(1);
    expect(noTable.stderr).toMatch(/Name the table first: add `store: \{ dynamodb: \{ table: <name> \} \}`/);
    const wrong = await runCliProcess(
      bed,
      ["migrate", "--to", "postgres"],
      readFileSync(bed.bot.configFile, "utf8"),
    );
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toMatch(/can move to DynamoDB only \(--to dynamodb\), not to "postgres"/);
  }, 60_000);
});
