import { describeAwsError } from "../aws/aws-errors.js";
import { UserError } from "../errors.js";
import type { Environment } from "../store/records.js";
import { KeyedLock } from "../tracking/keyed-lock.js";
import { nextStatusAt, paceOf, wakeForEarliest } from "../tracking/status-pacing.js";
import { ownedAmong } from "../tracking/work-leases.js";
import { awsRefusal } from "../workflow/failures.js";
import { type EnvironmentDeps, environmentWorkOf } from "./environment-deps.js";
import { syncDirectory } from "./environment-registry.js";
import { applyEvent } from "./environment-steps.js";
import { environmentConfig, environmentIdInComment } from "./environment-template.js";

// One environment's steps run one after the other, never interleaved.
const steps = new KeyedLock();

/** Does the next step of an environment now, unless another replica holds its lease. */
export async function runEnvironment(deps: EnvironmentDeps, id: string): Promise<void> {
  if (!(await ownedAmong([id], environmentWorkOf, deps.owns)).size) return;
  await steps.run(id, () => step(deps, id));
}

async function step(deps: EnvironmentDeps, id: string): Promise<void> {
  const env = await deps.records.get("environment", id);
  if (!env) return;
  if (env.state === "creating") return create(deps, env);
  if (env.state === "disabling" && env.deletion?.disabledAt === undefined) return disable(deps, env);
  if (env.state === "deleting") return remove(deps, env);
  if ((env.state === "deploying" || env.state === "disabling") && (env.nextPollAt ?? 0) <= deps.clock())
    return follow(deps, env);
}

/** Retryable trouble is said once in the thread and tried again next pass; the rest ends the step. */
type Ending = { type: "create-failed" | "delete-refused"; step: "create" | "disable" | "delete" };

async function transientOr(deps: EnvironmentDeps, env: Environment, error: unknown, end: Ending) {
  const problem = describeAwsError(error);
  if (problem.retryable)
    await applyEvent(deps, env.id, {
      type: "transient",
      note: { code: "retrying", awsCode: problem.code, explanation: problem.explanation },
    });
  else await applyEvent(deps, env.id, { type: end.type, failure: awsRefusal(error, end.step) });
}

/**
 * The distribution made for this environment by a create that reached AWS before (found by the
 * comment it was made with), recorded as the create's outcome: true when there is one.
 */
async function foundMade(deps: EnvironmentDeps, env: Environment, sourceId: string): Promise<boolean> {
  const made = (await deps.cloudfront.listDistributions(sourceId)).find(
    (d) => environmentIdInComment(d.comment) === env.id,
  );
  if (!made) return false;
  await applyEvent(deps, env.id, {
    type: "created",
    distributionId: made.id,
    domainName: made.domainName,
    proof: { kind: "found-after-restart" },
  });
  return true;
}

async function create(deps: EnvironmentDeps, env: Environment): Promise<void> {
  const template = deps.config.environments?.templates[env.template];
  const sourceId = deps.directory.get(env.source)?.id;
  if (!template || !sourceId) {
    await applyEvent(deps, env.id, {
      type: "create-failed",
      failure: { code: "template-gone", template: env.template, source: env.source },
    });
    return;
  }
  const fail: Ending = { type: "create-failed", step: "create" };
  try {
    // After a crash the create may have reached AWS: the distribution carries the environment's id.
    if (env.createStartedAt !== undefined && (await foundMade(deps, env, sourceId))) return;
    const { config: source } = await deps.cloudfront.getDistributionConfig(sourceId);
    const config = environmentConfig(source, template, env);
    await applyEvent(deps, env.id, { type: "create-started" });
    const out = await deps.cloudfront.createDistribution(config, sourceId);
    await applyEvent(deps, env.id, {
      type: "created",
      distributionId: out.id,
      domainName: out.domainName,
      proof: { kind: "answered", ...(out.requestId ? { awsRequestId: out.requestId } : {}) },
    });
  } catch (error) {
    if (error instanceof UserError) {
      await applyEvent(deps, env.id, {
        type: "create-failed",
        failure: { code: "no-longer-applies", reason: error.message },
      });
      return;
    }
    if (describeAwsError(error).code === "DistributionAlreadyExists") {
      // Its CallerReference is the environment's id: this create reached AWS before.
      if (await foundMade(deps, env, sourceId).catch(() => false)) return;
    }
    await transientOr(deps, env, error, fail);
  }
}

async function disable(deps: EnvironmentDeps, env: Environment): Promise<void> {
  const distributionId = env.distributionId!;
  const refuse: Ending = { type: "delete-refused", step: "disable" };
  for (let attempt = 1; attempt <= 2; attempt++) {
    try {
      // The ETag is read just before the write that sends it.
      const { config, etag } = await deps.cloudfront.getDistributionConfig(distributionId);
      if (config.Enabled === false) {
        await applyEvent(deps, env.id, { type: "disabled", proof: { kind: "found-after-restart" } });
        return;
      }
      await applyEvent(deps, env.id, { type: "disable-started" });
      const out = await deps.cloudfront.updateDistribution(
        distributionId,
        { ...config, Enabled: false },
        etag,
      );
      await applyEvent(deps, env.id, {
        type: "disabled",
        proof: { kind: "answered", ...(out.requestId ? { awsRequestId: out.requestId } : {}) },
      });
      return;
    } catch (error) {
      const code = describeAwsError(error).code;
      if (code === "PreconditionFailed" && attempt < 2) continue;
      if (code === "NoSuchDistribution") return gone(deps, env);
      await transientOr(deps, env, error, refuse);
      return;
    }
  }
}

/** The distribution is not there any more: deleted by this bot before a crash, or by someone else. */
async function gone(deps: EnvironmentDeps, env: Environment): Promise<void> {
  if (env.state === "disabling") {
    await applyEvent(deps, env.id, { type: "disabled", proof: { kind: "found-after-restart" } });
    await applyEvent(deps, env.id, { type: "deployed" });
  }
  await applyEvent(deps, env.id, { type: "deleted", proof: { kind: "found-after-restart" } });
}

async function remove(deps: EnvironmentDeps, env: Environment): Promise<void> {
  const distributionId = env.distributionId!;
  const refuse: Ending = { type: "delete-refused", step: "delete" };
  try {
    // DeleteDistribution takes the ETag of the disabled config, read just before.
    const { etag } = await deps.cloudfront.getDistributionConfig(distributionId);
    await applyEvent(deps, env.id, { type: "delete-started" });
    const out = await deps.cloudfront.deleteDistribution(distributionId, etag);
    await applyEvent(deps, env.id, {
      type: "deleted",
      proof: { kind: "answered", ...(out.requestId ? { awsRequestId: out.requestId } : {}) },
    });
  } catch (error) {
    const code = describeAwsError(error).code;
    if (code === "NoSuchDistribution") return gone(deps, env);
    // A stale ETag (someone touched it) or a disable not yet Deployed: the next pass reads again.
    if (code === "PreconditionFailed" || code === "DistributionNotDisabled") return;
    await transientOr(deps, env, error, refuse);
  }
}

/** One GetDistribution: a new environment Deployed is ready; a disabled one Deployed may be deleted. */
async function follow(deps: EnvironmentDeps, env: Environment): Promise<void> {
  const now = deps.clock();
  let info: { status: string; enabled: boolean };
  try {
    info = await deps.cloudfront.getDistribution(env.distributionId!);
  } catch (error) {
    if (describeAwsError(error).code === "NoSuchDistribution" && env.state === "disabling")
      return gone(deps, env);
    deps.logger.warn("GetDistribution failed while following an environment", {
      environment: env.name,
      code: describeAwsError(error).code,
    });
    return;
  }
  const settled = info.status === "Deployed" && (env.state === "deploying" || !info.enabled);
  if (!settled) {
    const since = env.state === "deploying" ? env.createdAt : env.deletion?.disabledAt;
    // Each environment is its own distribution, with no history of its own: asked at the dense pace.
    const pace = paceOf(deps);
    await applyEvent(deps, env.id, {
      type: "still-deploying",
      nextPollAt: nextStatusAt(now, since ?? now, undefined, pace.everyMs),
    });
    return;
  }
  const moved = await applyEvent(deps, env.id, { type: "deployed" });
  if (moved?.state === "deleting") await remove(deps, moved);
}

/**
 * The environments job: keeps the bot's distributions in step with the state (another replica may
 * have made or deleted one), and moves each environment this replica holds on by one step.
 */
export async function trackEnvironments(deps: EnvironmentDeps): Promise<void> {
  const now = deps.clock();
  const all = await deps.records.list("environment");
  syncDirectory(deps.directory, all);
  const due = all.filter(
    (e) =>
      e.state === "creating" ||
      e.state === "deleting" ||
      ((e.state === "deploying" || e.state === "disabling") && (e.nextPollAt ?? 0) <= now),
  );
  const mine = await ownedAmong(
    due.map((e) => e.id),
    environmentWorkOf,
    deps.owns,
  );
  for (const env of due.filter((e) => mine.has(e.id))) await steps.run(env.id, () => step(deps, env.id));
  const following = (await deps.records.list("environment")).filter(
    (e) => e.state === "deploying" || e.state === "disabling",
  );
  wakeForEarliest(
    paceOf(deps),
    following.map((e) => e.nextPollAt),
  );
}
