import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RecordedCall } from "../support/fake-slack.js";
import { requestIdIn } from "../support/slack-text.js";
import { startTestBed, type TestBed } from "../support/test-bed.js";

/**
 * kill -9 of the bot at a random instant just after a burst was acked: every acked purge is sent
 * after the restart, and each requester has one thread and one completion in it.
 */
let bed: TestBed;
/** A tenant of web: a fifth of each burst purges it, through the tenant's own API. */
let acme: string;

beforeAll(async () => {
  bed = await startTestBed({
    strict: { invalidationCompletesAfterMs: 500 },
    env: { CDNBOT_POLL_MS: "1000" },
    // Approvers are a user group: checking a click reads its members from Slack first.
    extraConfig: () => "policy:\n  approvers:\n    groups: [S0APPROVERS]\n",
  });
  bed.fake.setUserGroup("S0APPROVERS", ["UBOB"]);
  acme = bed.strict.addTenant(bed.web.id, { name: "acme", domains: ["acme.example.com"] });
});
afterAll(async () => {
  await bed?.close();
});

const textOf = (call: RecordedCall) => String(call.body.text ?? "");

describe("kill -9 in the middle of a burst", () => {
  for (const round of [1, 2, 3]) {
    it(`loses nothing acked and tells nothing twice (round ${round})`, async () => {
      bed.fake.reset();
      const channel = `CKILL${round}`;
      const users = Array.from({ length: 50 }, (_, i) => `UK${round}X${i}`);
      const delayMs = Math.floor(Math.random() * 200);
      const tenantBefore = bed.strict.invalidationsCreated(acme);

      const results = await Promise.all(
        users.map((user, i) =>
          bed.command(`purge ${i % 5 === 0 ? "web/acme" : "web"} /kill/${round}/${i}.html`, {
            userId: user,
            channelId: channel,
          }),
        ),
      );
      expect(results.every((r) => r.status === 200)).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      await bed.restartBot("kill");

      const parentsOf = (user: string) =>
        bed.fake
          .callsTo("chat.postMessage")
          .filter((c) => c.body.channel === channel && !c.body.thread_ts && textOf(c).includes(`<@${user}>`));
      const completionsIn = (ts: string) =>
        bed.fake
          .callsTo("chat.postMessage")
          .filter((c) => c.body.thread_ts === ts && /Completed in/.test(textOf(c)));
      await bed.fake.waitFor(
        () =>
          users.every((u) => parentsOf(u).some((p) => completionsIn(String(p.response?.ts)).length > 0)) ||
          undefined,
        {
          timeoutMs: 60_000,
          description: `every thread to complete after a kill ${delayMs} ms after the acks`,
        },
      );
      await bed.jobRuns("purge.poll", 2);
      await bed.jobRuns("purge.send", 2);
      const twice = users.filter((u) => parentsOf(u).length !== 1);
      expect(twice, `requesters with other than one thread (killed at +${delayMs} ms)`).toEqual([]);
      for (const user of users) {
        const ts = String(parentsOf(user)[0]?.response?.ts);
        expect(completionsIn(ts), `${user}'s completions (killed at +${delayMs} ms)`).toHaveLength(1);
      }
      // The tenant's purges went to the tenant's API (coalesced apart from the distribution's).
      expect(bed.strict.invalidationsCreated(acme)).toBeGreaterThan(tenantBefore);
    }, 120_000);
  }
});

describe("kill -9 right after an Approve click was answered", () => {
  for (const round of [1, 2, 3]) {
    it(`the approval is kept and its purge runs once (round ${round})`, async () => {
      bed.fake.reset();
      bed.strict.resetCounts();
      const channel = `CAPPROVE${round}`;
      await bed.command(`purge web /approved/${round}/*`, { userId: "UALICE", channelId: channel });
      const request = await bed.fake.waitForCall(
        "chat.postMessage",
        (b) => b.channel === channel && /Pending approval/.test(String(b.text)),
      );
      const requestId = requestIdIn(textOf(request));
      const threadTs = String(request.response?.ts);
      const delayMs = Math.floor(Math.random() * 100);
      // Slack makes the bot wait a second for the group's members: the vote takes that long to check.
      bed.fake.rateLimitNext("usergroups.users.list", 1);

      const click = await bed.click("approval_approve", requestId!, {
        userId: "UBOB",
        channelId: channel,
        messageTs: threadTs,
      });
      expect(click.status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      await bed.restartBot("kill");

      const done = await bed.fake.waitForCall(
        "chat.postMessage",
        (b) => b.thread_ts === threadTs && /Completed in/.test(String(b.text)),
        30_000,
      );
      expect(textOf(done)).toContain("purged from web");
      await bed.jobRuns("approvals", 2);
      await bed.jobRuns("purge.poll", 2);
      const creates = bed.strict.requests.filter((r) => r.operation === "CreateInvalidation");
      expect(creates.length, `killed ${delayMs} ms after the click was answered`).toBeGreaterThanOrEqual(1);
      const completions = bed.fake
        .callsTo("chat.postMessage")
        .filter((c) => c.body.thread_ts === threadTs && /Completed in/.test(textOf(c)));
      expect(completions).toHaveLength(1);
    }, 60_000);
  }
});
