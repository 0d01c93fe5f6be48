import { spawnSync } from "node:child_process";
import { ListInvalidationsCommand } from "@aws-sdk/client-cloudfront";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  blockActionPayload,
  postEvent,
  postInteraction,
  postInteractionWithBadSignature,
  viewSubmissionPayload,
} from "../support/slack-signer.js";
import { requestIdIn, text } from "../support/slack-text.js";
import { SIGNING_SECRET, startTestBed, type TestBed } from "../support/test-bed.js";

const APPROVE = "approval_approve";
const REJECT = "approval_reject";

let bed: TestBed;

beforeAll(async () => {
  bed = await startTestBed({
    strict: { invalidationCompletesAfterMs: 300 },
    otherDistributions: ["short", "guarded"],
    extraConfig: (_web, others) =>
      [
        "  short:",
        `    id: ${others.short!.id}`,
        "    policy:",
        "      expiresAfter: 2s",
        "  guarded:",
        `    id: ${others.guarded!.id}`,
        "    policy:",
        "      stepUp: true",
        "policy:",
        "  approvers:",
        "    users: [UBOB, UCAROL, UALICE]",
        "  breakGlass:",
        "    users: [UDAVE]",
        "",
      ].join("\n"),
  });
});
afterAll(async () => {
  await bed?.close();
});
beforeEach(() => {
  bed.fake.reset();
  bed.strict.resetCounts();
});

async function replyOn(responseUrl: string): Promise<string> {
  return text(await bed.fake.waitForReply(responseUrl));
}

/** Asks for a wildcard purge as UALICE and returns the request's id and message ts. */
async function requestWildcardPurge(alias = "web", channelId = "CAPPROVE") {
  await bed.command(`purge ${alias} /img/*`, { userId: "UALICE", channelId });
  const posted = await bed.fake.waitForCall("chat.postMessage", (b) =>
    /Pending approval/.test(String(b.text)),
  );
  const requestId = requestIdIn(text(posted));
  expect(requestId).toBeDefined();
  return { requestId: requestId!, messageTs: String(posted.response?.ts), posted };
}

async function invalidationCount(distributionId: string) {
  const out = await bed.cloudfront.send(new ListInvalidationsCommand({ DistributionId: distributionId }));
  return out.InvalidationList?.Quantity ?? 0;
}

describe("a wildcard purge waits for a second person", () => {
  it("posts who asks, the paths, the cost, the expiry and two buttons that carry only the request id", async () => {
    const { requestId, posted } = await requestWildcardPurge();

    expect(text(posted)).toMatch(/<@UALICE> asks to purge 1 path from web .*: \/img\/\*/);
    expect(text(posted)).toMatch(/Cost: Free \(\d+ of 1,000 free paths used this month\)/);
    expect(text(posted)).toMatch(/Expires \d{4}-\d\d-\d\d \d\d:\d\d UTC/);
    const actions = (
      posted.body.blocks as { type: string; elements?: { action_id: string; value: string }[] }[]
    ).find((b) => b.type === "actions");
    expect(actions?.elements?.map((e) => [e.action_id, e.value])).toEqual([
      [APPROVE, requestId],
      [REJECT, requestId],
    ]);
    expect(bed.strict.counts().CreateInvalidation ?? 0).toBe(0);
  });

  it("refuses self-approval and a non-approver, privately, and sends nothing", async () => {
    const { requestId, messageTs } = await requestWildcardPurge();

    const self = await bed.click(APPROVE, requestId, { userId: "UALICE", messageTs });
    expect(self.status).toBe(200);
    expect(await replyOn(self.responseUrl)).toMatch(/You asked for this, so you cannot approve it/);
    const stranger = await bed.click(APPROVE, requestId, { userId: "UDAVE", messageTs });
    expect(await replyOn(stranger.responseUrl)).toMatch(
      /You are not an approver for this: only users UBOB, UCAROL/,
    );

    await bed.jobRuns("purge.send", 2);
    expect(bed.strict.counts().CreateInvalidation ?? 0).toBe(0);
  });

  it("runs once when two approvers click at once and one double-clicks, in the same message's thread", async () => {
    const before = await invalidationCount(bed.web.id);
    const { requestId, messageTs } = await requestWildcardPurge();

    const clicks = await Promise.all([
      bed.click(APPROVE, requestId, { userId: "UBOB", messageTs }),
      bed.click(APPROVE, requestId, { userId: "UBOB", messageTs }),
      bed.click(APPROVE, requestId, { userId: "UCAROL", messageTs }),
    ]);
    expect(clicks.map((c) => c.status)).toEqual([200, 200, 200]);

    const done = await bed.fake.waitForCall(
      "chat.postMessage",
      (b) => b.thread_ts === messageTs && /Completed in/.test(String(b.text)),
      15_000,
    );
    expect(text(done)).toMatch(/Invalidation \S+ Completed/);
    const final = await bed.fake.waitForCall(
      "chat.update",
      (b) => b.ts === messageTs && /Purge of web .* Status: Completed/.test(String(b.text)),
    );
    // The message still names who approved, and when; the thread says it once.
    expect(text(final)).toMatch(/approved by <@U(BOB|CAROL)> at \d{4}-\d\d-\d\d \d\d:\d\d UTC/);
    const notes = bed.fake
      .callsTo("chat.postMessage")
      .filter((c) => c.body.thread_ts === messageTs && /approved request/.test(String(c.body.text)));
    expect(notes.map((n) => text(n))).toEqual([expect.stringMatching(/\(1 of 1\); it is carried out now\./)]);
    const replies = await Promise.all(clicks.map((c) => replyOn(c.responseUrl)));
    expect(replies.filter((r) => /You approved request/.test(r))).toHaveLength(1);
    expect(await invalidationCount(bed.web.id)).toBe(before + 1);
    expect(bed.strict.counts().CreateInvalidation).toBe(1);
  });

  it("takes a rejection with a reason and does nothing", async () => {
    const { requestId, messageTs } = await requestWildcardPurge();

    const res = await bed.command(`reject ${requestId} not during the sale`, { userId: "UBOB" });

    expect(await replyOn(res.responseUrl)).toMatch(`You rejected request ${requestId}`);
    const update = await bed.fake.waitForCall("chat.update", (b) => b.ts === messageTs);
    expect(text(update)).toMatch(
      /Rejected by <@UBOB> at \d{4}-\d\d-\d\d \d\d:\d\d UTC: `not during the sale`\. Nothing was done\./,
    );
    // The thread says who decided, and when.
    const note = await bed.fake.waitForCall("chat.postMessage", (b) => b.thread_ts === messageTs);
    expect(text(note)).toMatch(
      new RegExp(
        `<@UBOB> rejected request ${requestId} at \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d UTC: \`not during the sale\``,
      ),
    );
    expect(JSON.stringify(update.body.blocks)).not.toContain(APPROVE);
    const late = await bed.click(APPROVE, requestId, { userId: "UCAROL", messageTs });
    expect(await replyOn(late.responseUrl)).toMatch(/already rejected\./);
    expect(bed.strict.counts().CreateInvalidation ?? 0).toBe(0);
  });
});

describe("expiry", () => {
  it("takes the buttons away, says it expired, and refuses a later approval", async () => {
    const { requestId, messageTs } = await requestWildcardPurge("short");

    const update = await bed.fake.waitForCall(
      "chat.update",
      (b) => b.ts === messageTs && /Expired/.test(String(b.text)),
      10_000,
    );
    expect(text(update)).toMatch(/Expired at .* without enough approvals\. Nothing was done\./);
    expect(JSON.stringify(update.body.blocks)).not.toContain(APPROVE);

    const late = await bed.click(APPROVE, requestId, { userId: "UBOB", messageTs });
    expect(await replyOn(late.responseUrl)).toMatch(/expired/);
    expect(bed.strict.counts().CreateInvalidation ?? 0).toBe(0);
  });
});

describe("tampered clicks", () => {
  it.each([
    ["an unknown request id", "RZZZZZZ", {}, /There is no approval request RZZZZZZ/],
    ["a value that is not a request id", '{"paths":["/*"]}', {}, /does not point at a request I know/],
    ["a click from another workspace", "", { teamId: "TOTHER" }, /belongs to another workspace/],
  ])("answers %s clearly and changes nothing", async (_what, value, as, message) => {
    const { requestId, messageTs } = await requestWildcardPurge();
    const res = await bed.click(APPROVE, value || requestId, { userId: "UBOB", messageTs, ...as });
    expect(await replyOn(res.responseUrl)).toMatch(message);
    await bed.jobRuns("purge.send", 2);
    expect(bed.strict.counts().CreateInvalidation ?? 0).toBe(0);
    await bed.command(`cancel ${requestId}`, { userId: "UALICE" });
  });

  it("refuses a forged click with 401", async () => {
    const { requestId } = await requestWildcardPurge();
    const payload = blockActionPayload({
      actionId: APPROVE,
      value: requestId,
      userId: "UBOB",
      messageTs: "1.1",
      responseUrl: bed.fake.responseUrl(),
    });
    const res = await postInteractionWithBadSignature(bed.bot.url, payload);
    expect(res.status).toBe(401);
    await bed.command(`cancel ${requestId}`, { userId: "UALICE" });
  });
});

describe("pending, cancel and the audit log", () => {
  it("lists what each person can act on and lets the requester withdraw", async () => {
    const { requestId, messageTs } = await requestWildcardPurge();

    const forBob = await bed.command("pending", { userId: "UBOB" });
    expect(await replyOn(forBob.responseUrl)).toMatch(
      new RegExp(`${requestId}: <@UALICE> asks to purge .*you may approve or reject it`),
    );
    const notYours = await bed.command(`cancel ${requestId}`, { userId: "UBOB" });
    expect(await replyOn(notYours.responseUrl)).toMatch(
      /Only the person who asked for R[0-9A-Z]{6} can withdraw it/,
    );
    const cancel = await bed.command(`cancel ${requestId}`, { userId: "UALICE" });
    expect(await replyOn(cancel.responseUrl)).toBe(`Request ${requestId} is withdrawn.`);
    await bed.fake.waitForCall(
      "chat.update",
      (b) => b.ts === messageTs && /Withdrawn by the requester/.test(String(b.text)),
    );
    const afterwards = await bed.command("pending", { userId: "UBOB" });
    expect(await replyOn(afterwards.responseUrl)).not.toContain(requestId);
  });

  it("records every decision and AWS call, readable in Slack and exportable as JSON lines", async () => {
    const { requestId, messageTs } = await requestWildcardPurge();
    await bed.click(APPROVE, requestId, { userId: "UCAROL", messageTs });
    await bed.fake.waitForCall(
      "chat.postMessage",
      (b) => b.thread_ts === messageTs && /Completed in/.test(String(b.text)),
      15_000,
    );

    const res = await bed.command("audit web --limit 100", { userId: "UDAVE" });
    const shown = await replyOn(res.responseUrl);
    expect(shown).toMatch(new RegExp(`approval requested · <@UALICE> · ${bed.web.id} · ${requestId}`));
    expect(shown).toMatch(new RegExp(`approved · <@UCAROL> · ${bed.web.id} · ${requestId}`));
    expect(shown).toMatch(/invalidation sent to CloudFront · <@UALICE> .* \(AWS request [0-9a-f-]{36}\)/);

    const exportAudit = (distribution: string) =>
      spawnSync(
        process.execPath,
        ["--import", "tsx", "src/main.ts", "audit", "--json", "--distribution", distribution],
        {
          env: {
            PATH: process.env.PATH ?? "",
            CDNBOT_DATA: bed.bot.dataFile,
            CDNBOT_CONFIG: bed.bot.configFile,
          },
          encoding: "utf8",
        },
      );
    const exported = exportAudit("web");
    expect(exported.status).toBe(0);
    // By alias or by id: the same entries.
    expect(exportAudit(bed.web.id).stdout).toBe(exported.stdout);
    const unknown = exportAudit("shop");
    expect(unknown.status).not.toBe(0);
    expect(unknown.stderr).toMatch(/`shop` is neither a distribution in the config nor a distribution id/);
    const entries = exported.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { type: string; requestId?: string; time: string });
    // Newest first, as the journal is read.
    expect(entries.filter((e) => e.requestId === requestId).map((e) => e.type)).toEqual([
      "approval.approved",
      "approval.requested",
    ]);
    expect(entries.map((e) => e.type)).toEqual(
      expect.arrayContaining(["aws.CreateInvalidation", "purge.completed", "approval.cancelled"]),
    );
  });
});

describe("a restart between request and approval", () => {
  it("keeps the request, and the approval after the restart runs it", async () => {
    const { requestId, messageTs } = await requestWildcardPurge();
    // Killed as soon as the request is in Slack: the bot may not have stored its message's ts yet.
    await bed.restartBot("kill");

    const res = await bed.click(APPROVE, requestId, { userId: "UBOB", messageTs });

    expect(await replyOn(res.responseUrl)).toMatch(`You approved request ${requestId}`);
    const done = await bed.fake.waitForCall(
      "chat.postMessage",
      (b) => Boolean(b.thread_ts) && /Completed in/.test(String(b.text)),
      15_000,
    );
    // The thread is the request's own message: if the crash lost its ts, the bot found its marked
    // post again rather than posting the request a second time.
    expect(String(done.body.thread_ts)).toBe(messageTs);
    await bed.jobRuns("approvals", 2);
    const posts = bed.fake
      .callsTo("chat.postMessage")
      .filter((c) => !c.body.thread_ts && text(c).includes(`request ${requestId}`));
    expect(posts).toHaveLength(1);
  });
});

describe("break-glass", () => {
  it("runs at once, tells the channel and the approvers, and stays open in /cdn pending until an approver acknowledges it", async () => {
    const res = await bed.command('comment web --break-glass "checkout down, INC-231" Checkout banner', {
      userId: "UDAVE",
      channelId: "CAPPROVE",
    });
    expect(await replyOn(res.responseUrl)).toMatch(/being written now, without approval \(break-glass\)/);
    // Written without an approval request.
    const parent = await bed.fake.waitForCall("chat.postMessage", (b) =>
      /Break-glass: run at once/.test(String(b.text)),
    );
    const changeId = /Change (R[0-9A-Z]{6})/.exec(text(parent))?.[1];
    expect(changeId).toBeDefined();
    await bed.fake.waitForCall(
      "chat.postMessage",
      (b) => b.thread_ts === parent.response?.ts && /written/.test(String(b.text)),
      15_000,
    );
    expect(bed.strict.counts().UpdateDistribution).toBe(1);
    expect(
      bed.fake.callsTo("chat.postMessage").filter((c) => /Pending approval/.test(String(c.body.text))),
    ).toEqual([]);

    // The review: loud, the approvers named, one button carrying only the change's id.
    const review = await bed.fake.waitForCall("chat.postMessage", (b) =>
      /^Break-glass: /.test(String(b.text)),
    );
    expect(text(review)).toMatch(
      new RegExp(
        `<@UDAVE> broke glass: change ${changeId} to web .* ran without approval .*Reason: \`checkout down, INC-231\`. <@UBOB> <@UCAROL> <@UALICE>: an approver reviews it`,
      ),
    );
    const button = (
      review.body.blocks as { type: string; elements?: { action_id: string; value: string }[] }[]
    ).find((b) => b.type === "actions");
    expect(button?.elements?.map((e) => [e.action_id, e.value])).toEqual([["review_acknowledge", changeId]]);

    const pending = await bed.command("pending", { userId: "UBOB" });
    expect(await replyOn(pending.responseUrl)).toMatch(
      new RegExp(`${changeId}: BREAK-GLASS, not reviewed yet: <@UDAVE> ran a change to web`),
    );

    const messageTs = String(review.response?.ts);
    const own = await bed.click("review_acknowledge", changeId!, {
      userId: "UDAVE",
      messageTs,
      channelId: "CAPPROVE",
    });
    expect(await replyOn(own.responseUrl)).toMatch(/you cannot review it: an approver must/);
    const ok = await bed.click("review_acknowledge", changeId!, {
      userId: "UCAROL",
      messageTs,
      channelId: "CAPPROVE",
    });
    expect(await replyOn(ok.responseUrl)).toMatch(
      new RegExp(`You acknowledged break-glass change ${changeId}`),
    );
    const settled = await bed.fake.waitForCall("chat.update", (b) => b.ts === messageTs);
    expect(text(settled)).toMatch(/Break-glass, reviewed: .*Reviewed by <@UCAROL> at/);

    const after = await bed.command("pending", { userId: "UBOB" });
    expect(await replyOn(after.responseUrl)).not.toMatch(/BREAK-GLASS/);
    const audit = await bed.command("audit web --limit 20", { userId: "UBOB" });
    const shown = await replyOn(audit.responseUrl);
    expect(shown).toMatch(
      new RegExp(`BREAK-GLASS: ran without approval · <@UDAVE> · ${bed.web.id} · ${changeId}`),
    );
    expect(shown).toMatch(new RegExp(`break-glass reviewed · <@UCAROL> · ${bed.web.id} · ${changeId}`));
  });

  it("is refused to a person the policy does not name, and nothing is written", async () => {
    const res = await bed.command('ttl web default=0 --break-glass "hurry"', { userId: "UALICE" });
    expect(await replyOn(res.responseUrl)).toMatch(
      /You may not break glass on `web`: only user UDAVE may break glass on it\. Ask without `--break-glass` and it waits for approval\. Nothing was sent\./,
    );
    expect(bed.strict.counts().UpdateDistribution ?? 0).toBe(0);
  });
});

describe("step-up approval", () => {
  it("opens a window with the preview on Approve; only the window's Approve approves, never the requester's", async () => {
    const { requestId, messageTs } = await requestWildcardPurge("guarded");
    const click = await postInteraction(
      bed.bot.url,
      SIGNING_SECRET,
      blockActionPayload({
        actionId: APPROVE,
        value: requestId,
        userId: "UBOB",
        messageTs,
        responseUrl: bed.fake.responseUrl(),
        triggerId: "trigger-step-up",
        channelId: "CAPPROVE",
      }),
    );
    expect(click.status).toBe(200);
    const opened = await bed.fake.waitForCall("views.open", (b) => b.trigger_id === "trigger-step-up");
    const view = opened.body.view as { callback_id: string; private_metadata: string; blocks: unknown[] };
    expect(view.callback_id).toBe("approval_step_up");
    expect(view.private_metadata).toBe(requestId);
    expect(JSON.stringify(view.blocks)).toMatch(/asks to purge 1 path from \*`guarded`\*/);
    // The click alone approved nothing.
    await bed.jobRuns("purge.send", 2);
    expect(bed.strict.counts().CreateInvalidation ?? 0).toBe(0);

    const submit = (userId: string) =>
      postInteraction(
        bed.bot.url,
        SIGNING_SECRET,
        viewSubmissionPayload({ userId, callbackId: "approval_step_up", privateMetadata: requestId }),
      );
    const own = await submit("UALICE");
    expect(own.status).toBe(200);
    expect(JSON.parse(own.body)).toMatchObject({ response_action: "update" });
    expect(own.body).toMatch(/You asked for this, so you cannot approve it/);

    const approved = await submit("UBOB");
    expect(approved.status).toBe(200);
    await bed.fake.waitForCall(
      "chat.postMessage",
      (b) => b.thread_ts === messageTs && /Completed in/.test(String(b.text)),
      15_000,
    );
    expect(bed.strict.counts().CreateInvalidation).toBe(1);
  });
});

let executions = 0;

/** Runs a step as Workflow Builder does: a function_executed event for it, with its inputs. */
async function runStep(callbackId: string, inputs: Record<string, unknown>): Promise<string> {
  const executionId = `Fx${Date.now().toString(36).toUpperCase()}${executions++}`;
  const res = await postEvent(bed.bot.url, SIGNING_SECRET, {
    type: "function_executed",
    function: { id: `Fn${callbackId}`, callback_id: callbackId, title: callbackId, type: "app" },
    inputs,
    function_execution_id: executionId,
    workflow_execution_id: `Wx${executionId}`,
    event_ts: String(Date.now() / 1000),
    bot_access_token: "xwfp-short-lived",
  });
  expect(res.status).toBe(200);
  return executionId;
}

/** How Slack was told the step ended: every completeSuccess / completeError call for it. */
function endsOf(executionId: string) {
  return bed.fake.calls.filter(
    (c) =>
      (c.method === "functions.completeSuccess" || c.method === "functions.completeError") &&
      c.body.function_execution_id === executionId,
  );
}

function waitForEnd(executionId: string, timeoutMs = 15_000) {
  return bed.fake.waitFor(() => endsOf(executionId)[0], {
    timeoutMs,
    description: `the end of step ${executionId}`,
  });
}

const asRunner = { channel: "CSTEPS", user: "UALICE" };

// Workflow Builder's custom steps through the real Bolt app: function_executed events signed and
// posted as Slack does, the step's end seen as the functions.completeSuccess / completeError call
// the fake Slack records.
describe("Workflow Builder steps", () => {
  it("purges as the workflow's runner, puts out the invalidation, and waits until CloudFront says Completed, across a kill -9", async () => {
    bed.strict.holdInvalidations(true);
    const purge = await runStep("purge_paths", {
      distribution: "web",
      paths: "/step.html\n/step-2.html",
      ...asRunner,
    });
    const purged = await waitForEnd(purge);
    expect(purged.method).toBe("functions.completeSuccess");
    const outputs = purged.body.outputs as { purge_id: string; invalidation_id: string };
    expect(outputs.invalidation_id).toMatch(/^I[A-Z0-9]+$/);
    expect(outputs.purge_id).toMatch(/^R[A-Z0-9]{6}$/);
    expect(bed.strict.counts().CreateInvalidation).toBe(1);
    // The purge has its thread in the channel, asked by the runner, as /cdn purge would.
    const parent = await bed.fake.waitForCall(
      "chat.postMessage",
      (b) => b.channel === "CSTEPS" && !b.thread_ts,
    );
    expect(String(parent.body.text)).toMatch(/Purge of web .* requested by <@UALICE>: 2 paths/);

    const wait = await runStep("wait_until_purged", { purge_id: outputs.purge_id });
    // Still InProgress: the step waits (the steps job has looked twice since, and said nothing).
    await bed.jobRuns("steps", 2);
    expect(endsOf(wait)).toEqual([]);

    await bed.restartBot("kill");
    bed.strict.holdInvalidations(false);
    const done = await waitForEnd(wait);
    expect(done.method).toBe("functions.completeSuccess");
    expect(done.body.outputs).toEqual(outputs);
    // Told once, with the bot's own token (the execution's short-lived one is gone after a restart).
    await bed.jobRuns("steps", 2);
    expect(endsOf(wait)).toHaveLength(1);
    expect(done.token).not.toBe("xwfp-short-lived");
    expect(endsOf(purge)).toHaveLength(1);
  }, 60_000);

  it("fails a step with the reason when it is refused, and sends nothing", async () => {
    const unknown = await runStep("purge_paths", { distribution: "nosuch", paths: "/a.html", ...asRunner });
    const refused = await waitForEnd(unknown);
    expect(refused.method).toBe("functions.completeError");
    expect(String(refused.body.error)).toMatch(/`nosuch` is not a distribution I know/);

    const bad = await runStep("purge_paths", { distribution: "web", paths: "no-slash.html", ...asRunner });
    expect(String((await waitForEnd(bad)).body.error)).toMatch(/no-slash\.html/);

    const noRunner = await runStep("purge_paths", {
      distribution: "web",
      paths: "/a.html",
      channel: "CSTEPS",
    });
    expect(String((await waitForEnd(noRunner)).body.error)).toMatch(/The step needs the person it runs as/);
    expect(bed.strict.counts().CreateInvalidation ?? 0).toBe(0);

    const noSuchPurge = await runStep("wait_until_purged", { purge_id: "RZZZZZZ" });
    expect(String((await waitForEnd(noSuchPurge)).body.error)).toMatch(/There is no purge RZZZZZZ/);
  });

  it("asks for a change under the policy: it completes when decided, and the wait ends when it is Deployed", async () => {
    const ask = await runStep("request_change", {
      change: "comment web From a workflow",
      reason: "release 42",
      ...asRunner,
    });
    const request = await bed.fake.waitForCall("chat.postMessage", (b) =>
      /Pending approval/.test(String(b.text)),
    );
    expect(String(request.body.text)).toMatch(/<@UALICE> asks to change web .*Reason: `release 42`/);
    await bed.jobRuns("steps", 2);
    expect(endsOf(ask)).toEqual([]);

    // The runner cannot approve their own request; an approver can.
    const requestId = /request (R[0-9A-Z]{6})/.exec(String(request.body.text))![1]!;
    await bed.click("approval_approve", requestId, {
      userId: "UBOB",
      messageTs: String(request.response?.ts),
      channelId: "CSTEPS",
    });
    const decided = await waitForEnd(ask);
    expect(decided.body.outputs).toEqual({ request_id: requestId, outcome: "approved" });

    const wait = await runStep("wait_until_deployed", { change_id: requestId });
    const deployed = await waitForEnd(wait, 30_000);
    expect(deployed.method).toBe("functions.completeSuccess");
    expect(deployed.body.outputs).toEqual({ change_id: requestId });
    expect(bed.strict.counts().UpdateDistribution).toBe(1);
  }, 60_000);
});

// Last in the file: once Slack refuses a native block, the bot sends classic blocks from then on.
describe("native tables", () => {
  type Block = {
    type: string;
    caption?: string;
    rows?: { type: string; text?: string; elements?: unknown }[][];
  };
  const tableIn = (call: { body: Record<string, unknown> }) =>
    ((call.body.blocks ?? []) as Block[]).find((b) => b.type === "data_table");

  it("lists the audit log and what waits as data_table blocks Slack takes, and falls back where it does not", async () => {
    const { requestId } = await requestWildcardPurge();
    const pending = await bed.command("pending", { userId: "UBOB" });
    const shown = await bed.fake.waitForReply(pending.responseUrl);
    expect(shown.response).toEqual({ ok: true });
    const table = tableIn(shown);
    expect(table?.rows?.[0]?.map((c) => c.text)).toEqual([
      "Request",
      "Kind",
      "Asked by",
      "What",
      "Expires",
      "You",
    ]);
    const row = table?.rows?.find((r) => r[0]?.text === requestId);
    // The requester is a live mention; what they typed is a plain cell.
    expect(JSON.stringify(row?.[2])).toContain('"user_id":"UALICE"');
    expect(row?.[3]?.text).toMatch(/^purge 1 path from web .*: \/img\/\*$/);
    // The plain text stays the whole answer.
    expect(text(shown)).toMatch(new RegExp(`${requestId}: <@UALICE> asks to purge 1 path from web`));

    bed.fake.setNativeBlocks(false);
    const audit = await bed.command("audit web --limit 5", { userId: "UBOB" });
    const refusedThenClassic = await bed.fake.waitFor(
      (calls) => {
        const replies = calls.filter(
          (c) => c.method === "response_url" && c.path === new URL(audit.responseUrl).pathname,
        );
        return replies.length >= 2 ? replies : undefined;
      },
      { description: "the audit reply refused, then sent classic" },
    );
    expect(refusedThenClassic[0]?.response).toMatchObject({ ok: false, error: "invalid_blocks" });
    expect(tableIn(refusedThenClassic[0]!)).toBeDefined();
    expect(refusedThenClassic[1]?.response).toEqual({ ok: true });
    expect(tableIn(refusedThenClassic[1]!)).toBeUndefined();
    expect(text(refusedThenClassic[1]!)).toMatch(/Audit log for web, newest first/);

    // From then on, classic at once.
    const again = await bed.command("pending", { userId: "UBOB" });
    const classic = await bed.fake.waitForReply(again.responseUrl);
    expect(classic.response).toEqual({ ok: true });
    expect(tableIn(classic)).toBeUndefined();
    bed.fake.setNativeBlocks(true);
  });
});
