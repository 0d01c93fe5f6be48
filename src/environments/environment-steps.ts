import type { Environment } from "../store/records.js";
import { applyStep, type EventFor, type Machine, quietly } from "../workflow/workflow-step.js";
import type { EnvironmentDeps } from "./environment-deps.js";
import {
  type EnvironmentEffect,
  type EnvironmentEvent,
  environmentTransition,
} from "./environment-machine.js";
import { syncDirectory } from "./environment-registry.js";

/** The environment machine as the workflow runner calls it. */
const machine: Machine<Environment, EnvironmentEvent, EnvironmentEffect> = (current, event, now) => {
  const step = environmentTransition(current, event, now);
  return step && { record: step.env, audit: step.audit, effects: step.effects };
};

/** Runs one event through the environment machine (`workflow/workflow-step.ts`), then its effects. */
export function applyEvent(
  deps: EnvironmentDeps,
  id: string,
  event: EventFor<Environment, EnvironmentEvent>,
): Promise<Environment | undefined> {
  const say = (post: () => Promise<void>) => quietly(deps.logger, "an environment update", post);
  return applyStep(deps, "environment", machine, id, event, async (effect, stored) => {
    if (effect.type === "reply")
      await say(() => deps.announcer.reply(stored, effect.channelId, effect.messageTs, effect.note));
    else if (effect.type === "refresh-parent") await say(() => deps.announcer.refreshParent(stored));
    else {
      syncDirectory(deps.directory, await deps.records.list("environment"));
      await publishActivity(deps, stored);
    }
  });
}

async function publishActivity(deps: EnvironmentDeps, env: Environment) {
  if (!env.distributionId) return;
  const deleted = env.state === "deleted";
  await deps.activity?.publish({
    kind: "environment",
    stage: "completed",
    distributionId: env.distributionId,
    alias: env.name,
    actorUserId: (deleted ? env.deletion?.requestedBy : env.requestedBy)?.userId ?? env.requestedBy.userId,
    channelId: env.channelId,
    ...(env.messageTs ? { messageTs: env.messageTs } : {}),
    summary: deleted
      ? `environment ${env.name} deleted (${env.distributionId})`
      : `environment ${env.name} created: ${env.distributionId}, deploying`,
  });
}
