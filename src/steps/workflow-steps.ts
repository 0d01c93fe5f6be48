import { newRequestId } from "../approvals/approval-service.js";
import type { ChangeDeps } from "../changes/change-deps.js";
import { requestChange } from "../changes/change-requests.js";
import { UserError } from "../errors.js";
import type { Logger } from "../logger.js";
import { type PurgeServiceDeps, processPurge, receivePurge } from "../purge/purge-service.js";
import { ConflictError, type RecordStore } from "../store/record-store.js";
import type { Actor, ApprovalRequest, Step, StepInput } from "../store/records.js";
import { retryOnConflict } from "../store/retry-on-conflict.js";
import { KeyedLock } from "../tracking/keyed-lock.js";
import { failureText } from "../workflow/failures.js";

/**
 * Workflow Builder's custom steps, as the bot runs them: each is a purge or a change asked for as
 * the workflow's runner, through the same services as `/cdn` (policy, approvals, cost guard,
 * audit), or a wait on one. A step is stored before Slack's event is acknowledged; from then on it
 * ends exactly once (Slack told `completeSuccess` or `completeError`), across restarts: the steps
 * job carries each on from what the store says.
 */

/** Slack's side of a step: how it ended. Each call succeeds once Slack knows (or no longer runs it). */
export interface StepCompleter {
  succeed(executionId: string, outputs: Record<string, string>): Promise<void>;
  fail(executionId: string, error: string): Promise<void>;
}

export type StepDeps = {
  records: RecordStore;
  clock: () => number;
  logger: Logger;
  purges: PurgeServiceDeps;
  changes: ChangeDeps;
  completer: StepCompleter;
};

/** What a step decided, from the records it follows: go on waiting, or how it ended. */
type Outcome =
  | { end: "wait" }
  | { end: "succeeded"; outputs: Record<string, string> }
  | { end: "failed"; error: string };

const WAIT: Outcome = { end: "wait" };
const failed = (error: string): Outcome => ({ end: "failed", error });

// One pass at a time per step in this process (the ack's run and the job's may meet).
const stepLocks = new KeyedLock();

/**
 * Stores a step as received (what Slack's acknowledgement promises); a step Slack delivers again
 * is the same step. A purge or a change gets the id it will have now, so a restart finds it.
 */
export async function receiveStep(
  deps: Pick<StepDeps, "records" | "clock">,
  event: { executionId: string; input: StepInput; actor: Actor; channelId?: string },
): Promise<void> {
  const starts = event.input.kind === "purge" || event.input.kind === "change";
  const step: Step = {
    version: 0,
    id: event.executionId,
    input: event.input,
    actor: event.actor,
    ...(event.channelId ? { channelId: event.channelId } : {}),
    ...(starts ? { operationId: newRequestId() } : {}),
    state: "received",
    createdAt: deps.clock(),
  };
  try {
    await deps.records.commit(
      {
        writes: [{ kind: "step", op: "create", record: step }],
        audit: [
          {
            type: "step.received",
            actor: event.actor,
            ...(event.channelId ? { channelId: event.channelId } : {}),
            ...(step.operationId ? { requestId: step.operationId } : {}),
            operationId: step.id,
            summary: `Workflow step ${STEP_WORDS[event.input.kind]} (${describeInput(event.input)})`,
          },
        ],
      },
      deps.clock(),
    );
  } catch (error) {
    if (!(error instanceof ConflictError)) throw error; // delivered again: stored already
  }
}

const STEP_WORDS: Record<StepInput["kind"], string> = {
  purge: "Purge CloudFront paths",
  "wait-purged": "Wait until purged",
  "wait-deployed": "Wait until deployed",
  change: "Request a distribution change",
};

function describeInput(input: StepInput): string {
  switch (input.kind) {
    case "purge":
      return `${input.distribution}: ${input.paths.join(" ")}`.slice(0, 300);
    case "wait-purged":
      return `purge ${input.purgeId}`;
    case "wait-deployed":
      return `change ${input.changeId}`;
    case "change":
      return `${input.distribution}: ${input.spec.kind}`;
  }
}

/** Carries a step one pass on: starts what it asks for, ends it when its records say so, tells Slack. */
export function runStep(deps: StepDeps, id: string): Promise<void> {
  return stepLocks.run(id, async () => {
    let step = await deps.records.get("step", id);
    if (!step) return;
    if (step.state === "received") {
      const started = await start(deps, step);
      step = started.ok
        ? await setState(deps, id, { state: "running" })
        : await end(deps, id, started.outcome);
      if (!step) return;
    }
    if (step.state === "running") {
      const outcome = await decide(deps, step);
      if (outcome.end === "wait") return;
      step = await end(deps, id, outcome);
      if (!step) return;
    }
    await tell(deps, step);
  });
}

/** The steps job: every step the store holds, one pass each. */
export async function sweepSteps(deps: StepDeps): Promise<void> {
  for (const step of await deps.records.list("step")) {
    try {
      await runStep(deps, step.id);
    } catch (error) {
      deps.logger.warn("A workflow step could not be carried on; trying again next pass", {
        stepId: step.id,
        error,
      });
    }
  }
}

/**
 * Starts the purge or change a step asks for, as the workflow's runner, unless a restart finds it
 * started. A refusal (policy, an unknown distribution, a path CloudFront would refuse) ends the
 * step with its words.
 */
async function start(deps: StepDeps, step: Step): Promise<{ ok: true } | { ok: false; outcome: Outcome }> {
  const input = step.input;
  const id = step.operationId;
  if (!id || (input.kind !== "purge" && input.kind !== "change")) return { ok: true };
  if (!step.channelId) return { ok: false, outcome: failed("The step names no channel for the thread.") };
  const asked = { actor: step.actor, channelId: step.channelId, id };
  try {
    if (input.kind === "purge") {
      if (await deps.records.get("purge", id)) return { ok: true };
      if (await deps.records.get("approval", id)) return { ok: true };
      let received: Awaited<ReturnType<typeof receivePurge>>;
      try {
        received = await receivePurge(deps.purges, {
          distribution: input.distribution,
          paths: input.paths,
          ...asked,
        });
      } catch (error) {
        if (error instanceof ConflictError) return { ok: true }; // another pass made it
        throw error;
      }
      await processPurge(deps.purges, received);
      return { ok: true };
    }
    if ((await deps.records.get("approval", id)) || (await deps.records.get("change", id)))
      return { ok: true };
    await requestChange(deps.changes, {
      distribution: input.distribution,
      spec: input.spec,
      ...(input.reason ? { reason: input.reason } : {}),
      ...asked,
    });
    return { ok: true };
  } catch (error) {
    if (error instanceof UserError) return { ok: false, outcome: failed(error.message) };
    throw error;
  }
}

const UNDECIDED: ApprovalRequest["state"][] = ["pending", "approved"];

/** Whether the request the operation waited on was turned down, in words. */
function turnedDown(approval: ApprovalRequest | undefined): string | undefined {
  if (!approval || UNDECIDED.includes(approval.state)) return undefined;
  return `Request ${approval.id} was ${approval.state === "cancelled" ? "withdrawn" : approval.state}${
    approval.decidedBy?.reason ? `: ${approval.decidedBy.reason}` : ""
  }. Nothing was done.`;
}

/** How the step stands, from the records of what it started or follows. */
async function decide(deps: StepDeps, step: Step): Promise<Outcome> {
  const input = step.input;
  const { records } = deps;
  switch (input.kind) {
    case "purge":
    case "wait-purged": {
      const id = input.kind === "purge" ? (step.operationId ?? "") : input.purgeId;
      const [purge, approval] = await Promise.all([records.get("purge", id), records.get("approval", id)]);
      if (purge?.state === "failed") return failed(failureText(purge) ?? `Purge ${id} failed.`);
      const done =
        input.kind === "purge" ? purge?.invalidationId !== undefined : purge?.state === "completed";
      if (purge && done)
        return {
          end: "succeeded",
          outputs: { purge_id: id, invalidation_id: purge.invalidationId ?? "" },
        };
      const refused = turnedDown(approval);
      if (refused) return failed(refused);
      if (!purge && !approval)
        return failed(
          input.kind === "purge"
            ? `Purge ${id} was refused before it reached CloudFront; its thread says why.`
            : `There is no purge ${id}: give the purge id the "Purge CloudFront paths" step put out.`,
        );
      return WAIT;
    }
    case "change": {
      const id = step.operationId ?? "";
      const [approval, change] = await Promise.all([records.get("approval", id), records.get("change", id)]);
      if (approval && approval.state !== "pending")
        return { end: "succeeded", outputs: { request_id: id, outcome: approval.state } };
      if (!approval && change)
        return { end: "succeeded", outputs: { request_id: id, outcome: "no approval needed" } };
      if (!approval && !change) return failed(`Change ${id} was refused before anything was sent.`);
      return WAIT;
    }
    case "wait-deployed": {
      const id = input.changeId;
      const [change, approval] = await Promise.all([records.get("change", id), records.get("approval", id)]);
      if (change?.state === "deployed") return { end: "succeeded", outputs: { change_id: id } };
      if (change?.state === "failed") return failed(failureText(change) ?? `Change ${id} failed.`);
      const refused = turnedDown(approval);
      if (refused) return failed(refused);
      if (!change && !approval)
        return failed(
          `There is no change ${id}: give the request id the "Request a distribution change" step put out.`,
        );
      return WAIT;
    }
  }
}

/** Moves a step to `state`, on the version it had; undefined when it is gone. */
async function setState(deps: StepDeps, id: string, change: Partial<Step>): Promise<Step | undefined> {
  return retryOnConflict(async () => {
    const current = await deps.records.get("step", id);
    if (!current) return undefined;
    const next = { ...current, ...change, version: current.version + 1 };
    await deps.records.commit(
      { writes: [{ kind: "step", op: "replace", record: next, expectedVersion: current.version }] },
      deps.clock(),
    );
    return next;
  });
}

/** Stores how the step ended (told to Slack next), unless another pass ended it first. */
async function end(deps: StepDeps, id: string, outcome: Outcome): Promise<Step | undefined> {
  if (outcome.end === "wait") return deps.records.get("step", id);
  const current = await deps.records.get("step", id);
  if (!current || current.state === "succeeded" || current.state === "failed") return current;
  return setState(deps, id, {
    state: outcome.end,
    endedAt: deps.clock(),
    ...(outcome.end === "succeeded" ? { outputs: outcome.outputs } : { error: outcome.error.slice(0, 1000) }),
  });
}

/** Tells Slack how an ended step ended, then forgets it (the audit log keeps its trail). */
async function tell(deps: StepDeps, step: Step): Promise<void> {
  if (step.state !== "succeeded" && step.state !== "failed") return;
  if (step.state === "succeeded") await deps.completer.succeed(step.id, step.outputs ?? {});
  else await deps.completer.fail(step.id, step.error ?? "The step failed.");
  try {
    await deps.records.commit(
      {
        writes: [{ kind: "step", op: "delete", id: step.id, expectedVersion: step.version }],
        audit: [
          {
            type: step.state === "succeeded" ? "step.completed" : "step.failed",
            actor: step.actor,
            ...(step.channelId ? { channelId: step.channelId } : {}),
            ...(step.operationId ? { requestId: step.operationId } : {}),
            operationId: step.id,
            summary:
              step.state === "succeeded"
                ? `Workflow step ${STEP_WORDS[step.input.kind]} completed: ${Object.entries(
                    step.outputs ?? {},
                  )
                    .map(([k, v]) => `${k} ${v}`)
                    .join(", ")}`
                : `Workflow step ${STEP_WORDS[step.input.kind]} failed: ${step.error ?? ""}`,
            outcome: step.state === "succeeded" ? "ok" : "error",
          },
        ],
      },
      deps.clock(),
    );
  } catch (error) {
    if (!(error instanceof ConflictError)) throw error; // another pass told it and forgot it
  }
}
