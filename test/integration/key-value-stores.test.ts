import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { requestIdIn, text } from "../support/slack-text.js";
import { startTestBed, type TestBed } from "../support/test-bed.js";

const APPROVE = "approval_approve";
// The strict layer names its stores in order: the first one made is this.
const STORE = "arn:aws:cloudfront::123456789012:key-value-store/kvs-0001";
let bed: TestBed;
// Where `/cdn kv … import` reads from: a web server on loopback, under the one prefix the config allows.
const files = new Map<string, { status: number; body: string; location?: string }>();
const fileServer = createServer((req, res) => {
  const file = files.get(req.url ?? "");
  res.writeHead(file?.status ?? 404, {
    "content-type": "application/json",
    ...(file?.location ? { location: file.location } : {}),
  });
  res.end(file?.body ?? "");
});
let filesUrl: string;

beforeAll(async () => {
  await new Promise<void>((resolve) => fileServer.listen(0, "127.0.0.1", resolve));
  filesUrl = `http://127.0.0.1:${(fileServer.address() as AddressInfo).port}`;
  bed = await startTestBed({
    extraConfig: () =>
      `keyValueStores:\n  redirects:\n    arn: ${STORE}\n    description: Redirects\n    importFrom: [${filesUrl}/edge/]\n`,
  });
  expect(
    bed.strict.addKeyValueStore({ "/old-pricing": "/pricing", "/blog/launch": "https://example.com/launch" }),
  ).toBe(STORE);
});
afterAll(async () => {
  await bed?.close();
  fileServer.close();
});
beforeEach(() => {
  bed.fake.reset();
  bed.strict.resetCounts();
});

/** Asks for a store change as UALICE and returns the approval request's id, message and text. */
async function ask(command: string) {
  await bed.command(command, { userId: "UALICE", channelId: "CKV" });
  const request = await bed.fake.waitForCall(
    "chat.postMessage",
    (b) => b.channel === "CKV" && /Pending approval/.test(String(b.text)),
  );
  return {
    requestId: requestIdIn(text(request)),
    messageTs: String(request.response?.ts),
    text: text(request),
  };
}

const approve = (requestId: string, messageTs: string) =>
  bed.click(APPROVE, requestId, { userId: "UBOB", messageTs, channelId: "CKV" });

const finalReply = (messageTs: string, pattern: RegExp) =>
  bed.fake.waitForCall(
    "chat.postMessage",
    (b) => b.thread_ts === messageTs && pattern.test(String(b.text)),
    15_000,
  );

describe("key-value stores from Slack", () => {
  it("reads keys literally, and refuses a store the config does not name", async () => {
    const got = await bed.command("kv redirects get /old-pricing");
    expect(await got.reply()).toBe("`/old-pricing` in key-value store `redirects`: `/pricing`");
    const listed = await bed.command("kv redirects list /blog");
    const list = await listed.reply();
    expect(list).toMatch(
      /^Key-value store `redirects` \(2 keys, \d+ of 5,242,880 bytes\): 1 key starting with `\/blog`/,
    );
    expect(list).toContain("• `/blog/launch` → `https://example.com/launch`");
    const missing = await bed.command("kv redirects get /nowhere");
    expect(await missing.reply()).toBe("Key-value store `redirects` has no key `/nowhere`.");
    const unknown = await bed.command("kv flags get beta");
    expect(await unknown.reply()).toMatch(
      /`flags` is not a key-value store I know\. The key-value stores I may use: `redirects`\./,
    );
    const overview = await bed.command("list");
    expect(await overview.reply()).toMatch(/Key-value stores: redirects\./);
    expect(bed.strict.counts().UpdateKeys ?? 0).toBe(0);
  });

  it("sets a key after approval with the store's ETag, says it is live, and rolls it back", async () => {
    const asked = await ask("kv redirects set /old-pricing /plans?from=old *now*");
    expect(asked.text).toMatch(/key `\/old-pricing`: `\/pricing` → `\/plans\?from=old \*now\*`/);
    expect(bed.strict.counts().UpdateKeys ?? 0).toBe(0);

    await approve(asked.requestId, asked.messageTs);
    const live = await finalReply(asked.messageTs, /is live/);
    expect(text(live)).toMatch(
      new RegExp(`Change ${asked.requestId} is live: key-value store redirects holds the new values`),
    );
    expect(bed.strict.keyValueItems(STORE)["/old-pricing"]).toBe("/plans?from=old *now*");
    // One UpdateKeys, with the ETag DescribeKeyValueStore gave just before it.
    const update = bed.strict.requests.filter((r) => r.operation === "UpdateKeys");
    expect(update).toHaveLength(1);
    expect(update[0]!.ifMatch).toMatch(/^ESTRICT/);
    const describedBefore = bed.strict.requests.filter(
      (r) => r.operation === "DescribeKeyValueStore" && r.at <= update[0]!.at,
    );
    expect(describedBefore.length).toBeGreaterThan(0);
    // The audit log names the call that wrote it.
    const audit = await bed.command("audit --limit 5");
    expect(await audit.reply()).toMatch(new RegExp(`key-value store written .*Change ${asked.requestId}`));

    bed.fake.reset();
    const back = await ask(`rollback ${asked.requestId}`);
    expect(back.text).toMatch(/key `\/old-pricing`: `\/plans\?from=old \*now\*` → `\/pricing`/);
    await approve(back.requestId, back.messageTs);
    await finalReply(back.messageTs, /is live/);
    expect(bed.strict.keyValueItems(STORE)["/old-pricing"]).toBe("/pricing");
  });

  it("refuses to write over a colleague's edit made since the preview, and says what differs", async () => {
    const asked = await ask("kv redirects delete /blog/launch");
    expect(asked.text).toMatch(/key `\/blog\/launch`: `https:\/\/example\.com\/launch` → \(none\)/);
    bed.strict.editKeyValueElsewhere(STORE, "/blog/launch", "https://example.com/launch-v2");

    await approve(asked.requestId, asked.messageTs);
    const failed = await finalReply(asked.messageTs, /Failed/);
    expect(text(failed)).toMatch(
      /Someone else changed the same keys of key-value store redirects since the preview \(key `\/blog\/launch` was `https:\/\/example\.com\/launch` in the preview and is `https:\/\/example\.com\/launch-v2` now\)\. Nothing was written/,
    );
    expect(bed.strict.keyValueItems(STORE)["/blog/launch"]).toBe("https://example.com/launch-v2");
    expect(bed.strict.counts().UpdateKeys ?? 0).toBe(0);
  });

  it("writes changes to other keys approved at the same instant, each with a fresh ETag, none lost", async () => {
    const keys = Array.from({ length: 6 }, (_, i) => `/burst-${i}`);
    // Asked one after another (each waits for its request to be posted), approved all at once.
    const asked = [];
    for (const key of keys) {
      bed.fake.reset();
      asked.push(await ask(`kv redirects set ${key} /landing-${key.slice(1)}`));
    }
    const clicks = await Promise.all(asked.map((a) => approve(a.requestId, a.messageTs)));
    expect(clicks.map((c) => c.status)).toEqual(asked.map(() => 200));
    for (const a of asked) await finalReply(a.messageTs, /is live/);
    const items = bed.strict.keyValueItems(STORE);
    for (const key of keys) expect(items[key]).toBe(`/landing-${key.slice(1)}`);
    // Every write carried the ETag of its own fresh read, read just before it.
    const updates = bed.strict.requests.filter((r) => r.operation === "UpdateKeys");
    // Writes to one store take turns: none raced another for the same ETag.
    expect(updates).toHaveLength(keys.length);
    expect(new Set(updates.map((u) => u.ifMatch)).size).toBe(updates.length);
  }, 60_000);

  it("killed while UpdateKeys is in flight: the keys say it was written, and the thread is told once", async () => {
    const asked = await ask("kv redirects set /crash /after-restart");
    // AWS applies the write, but its answer never reaches the bot before it dies.
    bed.strict.delayNextResponse("UpdateKeys", 10_000);
    await approve(asked.requestId, asked.messageTs);
    await bed.fake.waitFor(() => bed.strict.requests.some((r) => r.operation === "UpdateKeys") || undefined, {
      description: "UpdateKeys in flight",
    });

    await bed.restartBot("kill");

    await finalReply(asked.messageTs, /is live/);
    await bed.jobRuns("changes", 2);
    const replies = bed.fake
      .callsTo("chat.postMessage")
      .filter((c) => c.body.thread_ts === asked.messageTs)
      .map((c) => String(c.body.text));
    expect(replies.filter((t) => /written to key-value store redirects/.test(t))).toHaveLength(1);
    expect(replies.filter((t) => /is live/.test(t))).toHaveLength(1);
    expect(replies.join("\n")).not.toMatch(/already had|nothing needed writing/);
    expect(bed.strict.counts().UpdateKeys).toBe(1);
    expect(bed.strict.keyValueItems(STORE)["/crash"]).toBe("/after-restart");
  }, 60_000);

  it("is reached with SigV4A only: the data plane refuses an unsigned call", async () => {
    const res = await fetch(`${bed.strict.url}/key-value-stores/${encodeURIComponent(STORE)}`);
    expect(res.status).toBe(403);
    expect(res.headers.get("x-amzn-errortype")).toBe("AccessDeniedException");
  });

  it("imports a batch from a URL the config allows: one change, its keys in the preview, one UpdateKeys", async () => {
    files.set("/edge/redirects.json", {
      status: 200,
      body: JSON.stringify({
        data: [
          { key: "/import/spring", value: "/sale" },
          { key: "/import/summer", value: "/sale?season=summer" },
        ],
      }),
    });
    const asked = await ask(`kv redirects import ${filesUrl}/edge/redirects.json`);
    expect(asked.text).toMatch(
      /key `\/import\/spring`: \(none\) → `\/sale`; key `\/import\/summer`: \(none\) → `\/sale\?season=summer`/,
    );
    await approve(asked.requestId, asked.messageTs);
    await finalReply(asked.messageTs, /is live/);
    expect(bed.strict.keyValueItems(STORE)).toMatchObject({
      "/import/spring": "/sale",
      "/import/summer": "/sale?season=summer",
    });
    expect(bed.strict.counts().UpdateKeys).toBe(1);
  });

  it("imports from nowhere else: not another path, not through a redirect", async () => {
    files.set("/elsewhere/redirects.json", { status: 200, body: '{"/x": "/y"}' });
    const elsewhere = await bed.command(`kv redirects import ${filesUrl}/elsewhere/redirects.json`);
    expect(await elsewhere.reply()).toMatch(
      /I import into `redirects` only from .*is not there\. Nothing was sent\./,
    );
    files.set("/edge/moved.json", {
      status: 302,
      body: "",
      location: `${filesUrl}/elsewhere/redirects.json`,
    });
    const moved = await bed.command(`kv redirects import ${filesUrl}/edge/moved.json`);
    expect(await moved.reply()).toMatch(/I could not read .*moved\.json`: .*Nothing was sent\./);
    files.set("/edge/broken.json", { status: 200, body: '{"data": [{"key": "/a"}]}' });
    const broken = await bed.command(`kv redirects import ${filesUrl}/edge/broken.json`);
    expect(await broken.reply()).toMatch(/neither CloudFront's import format/);
    expect(bed.strict.counts().UpdateKeys ?? 0).toBe(0);
    expect(
      bed.fake.callsTo("chat.postMessage").filter((c) => /Pending approval/.test(String(c.body.text))),
    ).toHaveLength(0);
  });
});
