import type { ChangeOperation } from "../store/records.js";
import { commitTransition } from "../store/retry-on-conflict.js";
import type { ChangeDeps } from "./change-deps.js";
import { type ChangeEvent, changeTransition } from "./change-machine.js";

/**
 * Runs one event through the change machine: reads the change, stores the next state conditional
 * on the version read (reading again if another writer moved it), then carries out the effects.
 */
export async function applyEvent(
  deps: ChangeDeps,
  id: string,
  event: ChangeEvent | ((change: ChangeOperation) => ChangeEvent),
): Promise<ChangeOperation | undefined> {
  const done = await commitTransition(deps.records, "change", id, deps.clock, (current) => {
    const step = changeTransition(
      current,
      typeof event === "function" ? event(current) : event,
      deps.clock(),
    );
    return step && { record: step.change, audit: step.audit, effects: step.effects };
  });
  if (!done) return undefined;
  for (const effect of done.effects) {
    if (effect.type === "reply-written") await quietly(deps, () => deps.announcer.replyWritten(done.record));
    else if (effect.type === "reply-note")
      await quietly(deps, () => deps.announcer.replyNote(done.record, effect.note));
    else if (effect.type === "refresh-parent")
      await quietly(deps, () => deps.announcer.refreshParent(done.record));
    else await finish(deps, done.record);
  }
  return done.record;
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
  const ok = there || (await quietly(deps, () => deps.announcer.replyFinal(op)));
  if (ok) await applyEvent(deps, op.id, { type: "final-told" });
  await quietly(deps, () => deps.announcer.refreshParent(op));
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
        : `change ${op.id} Failed: ${op.error ?? ""}`,
  });
}

async function quietly(deps: ChangeDeps, say: () => Promise<void>): Promise<boolean> {
  try {
    await say();
    return true;
  } catch (error) {
    deps.logger.warn("Could not post a change update to Slack", { error });
    return false;
  }
}
