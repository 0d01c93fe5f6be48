import {
  CreateInvalidationCommand,
  GetInvalidationCommand,
  ListInvalidationsCommand,
} from "@aws-sdk/client-cloudfront";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { RecordedCall } from "../support/fake-slack.js";
import { postSlashCommandWithBadSignature } from "../support/slack-signer.js";
import { BOT_TOKEN, SIGNING_SECRET, startTestBed, type TestBed } from "../support/test-bed.js";

let bed: TestBed;

beforeAll(async () => {
  bed = await startTestBed({
    strict: { invalidationCompletesAfterMs: 1500 },
    // web's tenant hooli has a policy of its own; ghost is configured, but CloudFront has no such
    // distribution: a typo in the config.
    extraConfig: () =>
      "    tenants:\n      hooli:\n        policy:\n          requireApprovalFor: [purge]\n" +
      "  ghost:\n    id: EGHOST0000000\n",
  });
});
afterAll(async () => {
  await bed?.close();
});
beforeEach(() => {
  bed.fake.reset();
  bed.strict.resetCounts();
});

const textOf = (call: RecordedCall) => String(call.body.text ?? "");

/** The ephemeral reply sent to this command's response_url. */
async function replyTo(responseUrl: string): Promise<string> {
  const { body } = await bed.fake.waitForReply(responseUrl);
  expect(body.response_type).toBe("ephemeral");
  return String(body.text);
}

async function invalidationsOf(distributionId: string) {
  const out = await bed.cloudfront.send(new ListInvalidationsCommand({ DistributionId: distributionId }));
  return out.InvalidationList?.Items ?? [];
}

// First in the file: nothing else is in flight on web, so the room each purge shows is exact.
describe("a purge's cost and room, before it is sent", () => {
  it("is in its message, with what is in flight at CloudFront then, and matches what was sent", async () => {
    const parentOf = (marker: string) =>
      bed.fake.waitForCall(
        "chat.postMessage",
        (b) => !b.thread_ts && JSON.stringify(b.blocks ?? "").includes(marker),
      );
    const roomIn = (call: RecordedCall) =>
      (call.body.blocks as { text?: { text?: string } }[])
        .flatMap((block) => (block.text?.text ?? "").split("\n"))
        .find((line) => line.startsWith("*Cost and room:* "))
        ?.slice("*Cost and room:* ".length) ?? "";
    bed.strict.holdInvalidations(true);
    try {
      await bed.command("purge web /room/a.html /room/b.html", { channelId: "CROOM" });
      expect(roomIn(await parentOf("/room/a.html"))).toBe(
        "2 paths: USD 0.00 (0 of 1,000 free paths used this month); in flight on web: 0 of 3,000 paths, 0 of 15 wildcards",
      );
      await bed.fake.waitForCall(
        "chat.postMessage",
        (b) => b.channel === "CROOM" && /created/.test(String(b.text)),
      );

      // The first is at CloudFront now: the next one's room counts it, and the month its paths. A
      // wildcard waits for approval: its request shows the same facts to the approvers.
      await bed.command("purge web /room/c.html /roomy/*", { channelId: "CROOM" });
      expect(roomIn(await parentOf("/room/c.html"))).toBe(
        "1 path + 1 wildcard: USD 0.00 (2 of 1,000 free paths used this month); in flight on web: 2 of 3,000 paths, 0 of 15 wildcards",
      );
      expect(bed.strict.invalidationsCreated(bed.web.id)).toBe(1);
    } finally {
      bed.strict.holdInvalidations(false);
    }
  });
});

describe("/cdn purge through the real HTTP path", () => {
  it("acks, opens a thread, creates one invalidation with exactly those paths and reports Completed", async () => {
    const before = (await invalidationsOf(bed.web.id)).length;

    const res = await bed.command("purge web /index.html /css/app.css", {
      userId: "UALICE",
      channelId: "CDEPLOY",
    });

    expect(res.status).toBe(200);
    const parent = await bed.fake.waitForCall(
      "chat.postMessage",
      (b) => b.channel === "CDEPLOY" && !b.thread_ts,
    );
    expect(textOf(parent)).toMatch(/Purge of web .* requested by <@UALICE>: 2 paths/);
    expect(parent.body.blocks).toBeInstanceOf(Array);

    const created = await bed.fake.waitForCall(
      "chat.postMessage",
      (b) => Boolean(b.thread_ts) && /created/.test(String(b.text)),
    );
    const threadTs = String(created.body.thread_ts);
    const invalidationId = /Invalidation (\S+) created/.exec(textOf(created))?.[1];
    expect(invalidationId).toBeDefined();

    const done = await bed.fake.waitForCall(
      "chat.postMessage",
      (b) => b.thread_ts === threadTs && /Completed in \d+s/.test(String(b.text)),
      15_000,
    );
    expect(textOf(done)).toContain(`Invalidation ${invalidationId} Completed`);
    await bed.fake.waitForCall(
      "chat.update",
      (b) => b.ts === threadTs && /Status: Completed/.test(String(b.text)),
    );

    const after = await invalidationsOf(bed.web.id);
    expect(after.length - before).toBe(1);
    const inv = await bed.cloudfront.send(
      new GetInvalidationCommand({ DistributionId: bed.web.id, Id: invalidationId! }),
    );
    expect(inv.Invalidation?.InvalidationBatch?.Paths?.Items).toEqual(["/index.html", "/css/app.css"]);
    expect(inv.Invalidation?.Status).toBe("Completed");
    // One final message in the thread, however many polls it took.
    await bed.jobRuns("purge.poll", 2);
    expect(
      bed.fake
        .callsTo("chat.postMessage")
        .filter((c) => c.body.thread_ts === threadTs && /Completed in/.test(textOf(c))),
    ).toHaveLength(1);
  });

  it("turns a URL on the distribution's alias into its path and says so in the thread", async () => {
    await bed.command("purge web https://www.example.com/about.html?lang=en");

    const created = await bed.fake.waitForCall(
      "chat.postMessage",
      (b) => Boolean(b.thread_ts) && /created/.test(String(b.text)),
    );
    expect(JSON.stringify(created.body.blocks)).toContain("was turned into its path");
    expect(JSON.stringify(created.body.blocks)).toContain("/about.html?lang=en");
  });

  it.each([
    ["purge shop /a", /`shop` is not a distribution I know\. I may act on: `web`/],
    ["purge web index.html", /paths start with `\/`/],
    ["purge web /img/*/a.png", /may only end a path/],
    ["purge web https://evil.example.org/a", /evil\.example\.org/],
  ])("refuses %j privately and sends nothing to AWS", async (text, message) => {
    const res = await bed.command(text, { channelId: "CREFUSE" });

    expect(res.status).toBe(200);
    expect(await res.reply()).toMatch(message);
    // Nothing in the channel (earlier tests' threads may still be finishing elsewhere).
    expect(bed.fake.callsTo("chat.postMessage").filter((c) => c.body.channel === "CREFUSE")).toHaveLength(0);
    expect(bed.strict.counts().CreateInvalidation ?? 0).toBe(0);
  });

  it("says so when the bot is not in the channel, and sends nothing to AWS", async () => {
    bed.fake.setNotInChannel("CSECRET");

    const res = await bed.command("purge web /index.html", { channelId: "CSECRET" });

    expect(await replyTo(res.responseUrl)).toBe(
      "I'm not a member of <#CSECRET>, so I cannot post there. Invite me with `/invite @cdnbot` in <#CSECRET> and try again. Nothing was sent to AWS.",
    );
    expect(bed.strict.counts().CreateInvalidation ?? 0).toBe(0);
  });

  it("reports refused AWS credentials in the thread in words, and marks the purge Failed", async () => {
    bed.strict.failNext("CreateInvalidation", {
      status: 403,
      code: "InvalidClientTokenId",
      message: "The security token included in the request is invalid.",
    });

    await bed.command("purge web /refused.html");

    const failed = await bed.fake.waitForCall(
      "chat.postMessage",
      (b) => Boolean(b.thread_ts) && /Failed/.test(String(b.text)),
    );
    expect(textOf(failed)).toMatch(/refused the bot's credentials/);
    await bed.fake.waitForCall("chat.update", (b) => /Status: Failed/.test(String(b.text)));
  });
});

describe("a configured distribution CloudFront does not have", () => {
  it("is named in the log at start-up, while the bot keeps serving", async () => {
    await bed.fake.waitFor(() => /Distribution ghost/.test(bed.bot.output()) || undefined, {
      description: "the start-up check of ghost",
    });
    expect(bed.bot.output()).toMatch(
      /"level":"warn".*Distribution ghost \(EGHOST0000000\) cannot be used: CloudFront has no distribution with this id/,
    );
  });

  it("is refused privately: nothing is posted in the channel and nothing is sent", async () => {
    const res = await bed.command("purge ghost /index.html", { channelId: "CGHOST" });

    expect(await replyTo(res.responseUrl)).toMatch(
      /I cannot use `ghost` \(EGHOST0000000\): CloudFront has no distribution/,
    );
    expect(bed.fake.calls.filter((c) => c.body.channel === "CGHOST")).toHaveLength(0);
    expect(bed.strict.counts().CreateInvalidation ?? 0).toBe(0);
  });
});

describe("usage and help", () => {
  it("answers /cdn help inside the ack, only to the requester", async () => {
    const res = await bed.command("help");
    expect(res.status).toBe(200);
    const body = res.json as { response_type: string; text: string };
    expect(body.response_type).toBe("ephemeral");
    for (const verb of ["purge", "status", "list", "help"]) expect(body.text).toContain(`/cdn ${verb}`);
  });

  it("answers a malformed command with its usage", async () => {
    const res = await bed.command("purge web");
    const body = res.json as { response_type: string; text: string };
    expect(body.response_type).toBe("ephemeral");
    expect(body.text).toMatch(/^Tell me which paths to purge\. Usage: `\/cdn purge/);
  });

  it("refuses a forged request with 401 and does nothing", async () => {
    const responseUrl = bed.fake.responseUrl();
    const creates = bed.strict.counts().CreateInvalidation ?? 0;
    const res = await postSlashCommandWithBadSignature(bed.bot.url, {
      text: "purge web /forged.html",
      channelId: "CFORGED",
      responseUrl,
    });
    expect(res.status).toBe(401);
    await bed.jobRuns("purge.send", 2);
    expect(
      bed.fake.calls.filter((c) => c.body.channel === "CFORGED" || c.path === new URL(responseUrl).pathname),
    ).toHaveLength(0);
    expect(bed.strict.counts().CreateInvalidation ?? 0).toBe(creates);
  });
});

describe("secrets", () => {
  it("never appear in the bot's log, even at debug level", () => {
    const log = bed.bot.output();
    expect(log.length).toBeGreaterThan(0);
    expect(log).toContain("cdnbot is listening");
    expect(log).not.toContain(BOT_TOKEN);
    expect(log).not.toContain(SIGNING_SECRET);
    // Bolt's lines go through the same JSON logger, not its plain-text console one.
    expect(log).not.toMatch(/^\[(DEBUG|INFO|WARN|ERROR)\]/m);
    expect(log).toMatch(/"source":"bolt"/);
  });
});

describe("/cdn status and /cdn list", () => {
  it("shows the distribution's state and recent invalidations", async () => {
    const res = await bed.command("status web");
    const text = await replyTo(res.responseUrl);
    expect(text).toMatch(
      new RegExp(
        `web \\(${bed.web.id}\\) is (Deployed|InProgress), Enabled, domain ${bed.web.domainName.replace(/\./g, "\\.")}`,
      ),
    );
    expect(text).toContain("aliases www.example.com");
    expect(text).toMatch(/Recent invalidations: \S+ (Completed|InProgress)/);
  });

  it("shows one invalidation", async () => {
    // Its own invalidation, so the test passes alone as well as after the others.
    await bed.cloudfront.send(
      new CreateInvalidationCommand({
        DistributionId: bed.web.id,
        InvalidationBatch: {
          CallerReference: `status-${Date.now()}`,
          Paths: { Quantity: 1, Items: ["/status.html"] },
        },
      }),
    );
    const [latest] = await invalidationsOf(bed.web.id);
    const res = await bed.command(`status web ${latest!.Id}`);
    expect(await replyTo(res.responseUrl)).toMatch(
      new RegExp(`Invalidation ${latest!.Id} on web .* is (Completed|InProgress)`),
    );
  });

  it("lists configured distributions with their live status", async () => {
    const res = await bed.command("list");
    expect(await replyTo(res.responseUrl)).toMatch(
      new RegExp(`web \\(${bed.web.id}\\) (Deployed|InProgress)`),
    );
  });

  it("lists a multi-tenant distribution's tenants, and shows one by name or by a domain it serves", async () => {
    const none = await bed.command("tenants web");
    expect(await replyTo(none.responseUrl)).toMatch(/has no tenants: it is not a multi-tenant distribution/);

    const acme = bed.strict.addTenant(bed.web.id, {
      name: "acme",
      domains: ["acme.example.com"],
      // What a customer typed is shown as data, never as a mention or formatting.
      parameters: [{ name: "greeting", value: "<!channel> *hi*" }],
    });
    bed.strict.addTenant(bed.web.id, {
      name: "globex",
      domains: ["globex.example.com", "www.globex.example.com"],
    });

    const list = await bed.command("tenants web");
    const listed = await replyTo(list.responseUrl);
    expect(listed).toMatch(/has 2 tenants:/);
    expect(listed).toContain(`\`acme\` (${acme}): \`acme.example.com\` · Enabled, Deployed`);
    expect(listed).toContain("`globex.example.com`, `www.globex.example.com`");

    for (const which of ["acme", "acme.example.com"]) {
      const one = await bed.command(`tenants web ${which}`);
      const shown = await replyTo(one.responseUrl);
      expect(shown).toMatch(/^Tenant `acme` \(\w+\) of \*`web`\*/);
      expect(shown).toContain("*Parameters:* `greeting` = `&lt;!channel&gt; *hi*`");
      expect(shown).not.toContain("<!channel>");
    }
    const unknown = await bed.command("tenants web initech");
    expect(await replyTo(unknown.responseUrl)).toMatch(/There is no tenant `initech`/);

    // A purge of one tenant goes to the tenant's own API, and its thread completes.
    const before = (await invalidationsOf(bed.web.id)).length;
    await bed.command("purge web/acme /index.html", { userId: "UALICE", channelId: "CTENANT" });
    const parent = await bed.fake.waitForCall(
      "chat.postMessage",
      (b) => b.channel === "CTENANT" && !b.thread_ts,
    );
    expect(textOf(parent)).toMatch(/^Purge of web\/acme \(/);
    const done = await bed.fake.waitForCall(
      "chat.postMessage",
      (b) => b.channel === "CTENANT" && Boolean(b.thread_ts) && /Completed in \d+s/.test(String(b.text)),
      15_000,
    );
    expect(textOf(done)).toMatch(/purged from web\/acme/);
    expect(bed.strict.invalidationsCreated(acme)).toBe(1);
    expect(bed.strict.counts().CreateInvalidationForDistributionTenant).toBe(1);
    // The tenant's invalidation is not the distribution's.
    expect((await invalidationsOf(bed.web.id)).length).toBe(before);

    const noSuch = await bed.command("purge web/initech /index.html", { channelId: "CTENANT" });
    expect(await replyTo(noSuch.responseUrl)).toMatch(/`web` has no tenant `initech`.*Nothing was purged/);
  });

  it("follows a tenant's own policy, and an approved tenant purge goes to the tenant's API", async () => {
    const hooli = bed.strict.addTenant(bed.web.id, { name: "hooli", domains: ["hooli.example.net"] });
    const before = (await invalidationsOf(bed.web.id)).length;
    // hooli's policy asks approval for every purge; web's (and its other tenants') does not.
    await bed.command("purge web/hooli /pricing.html", { userId: "UALICE", channelId: "CHOOLI" });
    const request = await bed.fake.waitForCall(
      "chat.postMessage",
      (b) => b.channel === "CHOOLI" && /Pending approval/.test(String(b.text)),
    );
    expect(textOf(request)).toMatch(/asks to purge 1 path from web\/hooli \(/);
    const requestId = /request (R[A-Z0-9]+)/.exec(textOf(request))?.[1];
    expect(requestId).toBeDefined();
    expect(bed.strict.counts().CreateInvalidationForDistributionTenant ?? 0).toBe(0);

    const messageTs = String(request.response?.ts);
    await bed.click("approval_approve", requestId!, { userId: "UBOB", messageTs, channelId: "CHOOLI" });
    const done = await bed.fake.waitForCall(
      "chat.postMessage",
      (b) => b.thread_ts === messageTs && /Completed in \d+s/.test(String(b.text)),
      15_000,
    );
    expect(textOf(done)).toMatch(/purged from web\/hooli/);
    expect(bed.strict.invalidationsCreated(hooli)).toBe(1);
    expect((await invalidationsOf(bed.web.id)).length).toBe(before);
  });
});
