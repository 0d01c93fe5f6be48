import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { postEvent } from "../support/slack-signer.js";
import { SIGNING_SECRET, startTestBed, type TestBed } from "../support/test-bed.js";

// Workflow Builder's custom steps through the real Bolt app: function_executed events signed and
// posted as Slack does, the step's end seen as the functions.completeSuccess / completeError call
// the fake Slack records.

let bed: TestBed;

beforeAll(async () => {
  bed = await startTestBed({
    strict: { invalidationCompletesAfterMs: 400, deployAfterMs: 800 },
    extraConfig: () => ["policy:", "  approvers:", "    users: [UBOB]", ""].join("\n"),
  });
});
afterAll(async () => {
  await bed?.close();
});
beforeEach(() => {
  bed.fake.reset();
  bed.strict.resetCounts();
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
