import type { ChangeOperation } from "../store/records.js";
import { failureText } from "../workflow/failures.js";
import { applyStep, type EventFor, type Machine, quietly } from "../workflow/workflow-step.js";
import type { ChangeDeps } from "./change-deps.js";
import { type ChangeEffect, type ChangeEvent, changeTransition } from "./change-machine.js";
import { STAGED_EVENTS, type StagedEvent, stagedTransition } from "./staged-machine.js";

const isStaged = (event: ChangeEvent | StagedEvent): event is StagedEvent => STAGED_EVENTS.has(event.type);

/** The change machine (and a staged change's own steps) as the workflow runner calls it. */
const machine: Machine<ChangeOperation, ChangeEvent | StagedEvent, ChangeEffect> = (current, event, now) => {
  const step = isStaged(event)
    ? stagedTransition(current, event, now)
    : changeTransition(current, event, now);
  return step && { record: step.change, audit: step.audit, effects: step.effects };
};

/** Runs one event through the change machine (`workflow/workflow-step.ts`), then its effects. */
export function applyEvent(
  deps: ChangeDeps,
  id: string,
  event: EventFor<ChangeOperation, ChangeEvent | StagedEvent>,
): Promise<ChangeOperation | undefined> {
  const say = (post: () => Promise<void>) => quietly(deps.logger, "a change update", post);
  return applyStep(deps, "change", machine, id, event, async (effect, stored) => {
    if (effect.type === "reply-written") await say(() => deps.announcer.replyWritten(stored));
    else if (effect.type === "reply-note") await say(() => deps.announcer.replyNote(stored, effect.note));
    else if (effect.type === "refresh-parent") await say(() => deps.announcer.refreshParent(stored));
    else await finish(deps, stored);
  });
}

/** The change's final reply, told once, and the activity feed told how it ended. */
export async function finish(deps: ChangeDeps, op: ChangeOperation) {
  if (op.announced.final) return;
  // Told once: a final reply that reached the thread before its flag was stored is not repeated.
  let there: boolean;
  try {
    there = await deps.announcer.findFinal(op);
  } catch (error) {
    deps.logger.warn("Could not read the change's thread; will look again", { change: op.id, error });
    return;
  }
  const ok = there || (await quietly(deps.logger, "a change update", () => deps.announcer.replyFinal(op)));
  if (ok) await applyEvent(deps, op.id, { type: "final-told" });
  await quietly(deps.logger, "a change update", () => deps.announcer.refreshParent(op));
  await deps.activity?.publish({
    kind: "change",
    stage: op.state === "deployed" ? "completed" : "failed",
    distributionId: op.distributionId,
    alias: op.alias,
    actorUserId: op.requestedBy.userId,
    channelId: op.channelId,
    ...(op.messageTs ? { messageTs: op.messageTs } : {}),
    summary:
      op.state === "deployed"
        ? `change ${op.id} Deployed: ${op.summary}`
        : `change ${op.id} Failed: ${failureText(op) ?? ""}`,
  });
}
