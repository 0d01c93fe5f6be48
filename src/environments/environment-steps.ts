import type { Environment } from "../store/records.js";
import { commitTransition } from "../store/retry-on-conflict.js";
import type { EnvironmentDeps } from "./environment-deps.js";
import { type EnvironmentEvent, environmentTransition } from "./environment-machine.js";

/**
 * Runs one event through the machine: reads, stores the next state conditional on the version read
 * (reading again if another writer moved it), then carries out the effects.
 */
export async function applyEvent(
  deps: EnvironmentDeps,
  id: string,
  event: EnvironmentEvent | ((env: Environment) => EnvironmentEvent),
): Promise<Environment | undefined> {
  const done = await commitTransition(deps.records, "environment", id, deps.clock, (current) => {
    const step = environmentTransition(
      current,
      typeof event === "function" ? event(current) : event,
      deps.clock(),
    );
    return step && { record: step.env, audit: step.audit, effects: step.effects };
  });
  if (!done) return undefined;
  for (const effect of done.effects) {
    if (effect.type === "reply")
      await quietly(deps, () =>
        deps.announcer.reply(done.record, effect.channelId, effect.messageTs, effect.note),
      );
    else if (effect.type === "refresh-parent")
      await quietly(deps, () => deps.announcer.refreshParent(done.record));
    else {
      deps.registry.sync(await deps.records.list("environment"));
      await publishActivity(deps, done.record);
    }
  }
  return done.record;
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

async function quietly(deps: EnvironmentDeps, say: () => Promise<void>): Promise<void> {
  try {
    await say();
  } catch (error) {
    deps.logger.warn("Could not post an environment update to Slack", { error });
  }
}
