import { type ApprovalDeps, openApprovalRequest } from "../approvals/approval-service.js";
import { effectivePolicy, type GroupLookup, mayRequest, needsApproval } from "../approvals/policy.js";
import { describeAwsError } from "../aws/aws-errors.js";
import type { CloudFrontGateway } from "../aws/cloudfront-gateway.js";
import type { CdnbotConfig } from "../config/config-schema.js";
import { NotInChannelError, UserError } from "../errors.js";
import type { Logger } from "../logger.js";
import { ConflictError, type RecordStore } from "../store/record-store.js";
import type { Actor, ApprovalRequest, Environment, EnvironmentPayload, Origin } from "../store/records.js";
import { commitTransition } from "../store/retry-on-conflict.js";
import { plural, quote } from "../text/plain-text.js";
import type { Exclusive } from "../tracking/exclusive.js";
import { nextStatusAt, paceOf, type StatusPace, wakeForEarliest } from "../tracking/status-pacing.js";
import { type Owns, ownedAmong } from "../tracking/work-leases.js";
import type { ActivityFeed } from "../watch/activity-feed.js";
import type { EnvironmentAnnouncer } from "./environment-announcer.js";
import { type EnvironmentEvent, environmentTransition } from "./environment-machine.js";
import {
  type EnvironmentPlan,
  environmentConfig,
  environmentIdInComment,
  findTemplate,
  planEnvironment,
} from "./environment-template.js";

export type EnvironmentDeps = {
  config: CdnbotConfig;
  records: RecordStore;
  cloudfront: CloudFrontGateway;
  announcer: EnvironmentAnnouncer;
  approvals: ApprovalDeps;
  membersOf: GroupLookup;
  clock: () => number;
  logger: Logger;
  newId: () => string;
  /** The base interval for following deploys; polls space out as a deploy ages. */
  pollMs: number;
  /** How often a new or disabled environment's distribution is asked whether it is Deployed. */
  pace?: StatusPace;
  /** Keeps `config.distributions` in step with the environments (`environment-registry.ts`). */
  registry: { sync(environments: readonly Environment[]): void };
  /** Runs a create's count-and-store alone (`environments.max`, the distributions quota). */
  exclusive: Exclusive;
  activity?: ActivityFeed;
  /** Of several replicas, the holder of an environment's lease creates, follows and deletes it. */
  owns?: Owns;
};

/** The lease an environment's create, deploy and delete are done under. */
export const environmentWorkOf = (id: string) => `environments:${id}`;

export type CreateEnvironmentRequest = {
  template: string;
  name: string;
  origin: string;
  alias?: string;
  actor: Actor;
  channelId: string;
  /** The request's id (an API request's); otherwise a new one. */
  id?: string;
  apiOrigin?: Origin;
};

export type DeleteEnvironmentRequest = {
  name: string;
  actor: Actor;
  channelId: string;
  id?: string;
  apiOrigin?: Origin;
};

/** Environments in flight or serving: what counts against `environments.max`. */
const inUse = (env: Environment) => env.state !== "deleted" && env.state !== "failed";

export function describePlan(plan: EnvironmentPlan): string {
  return `environment ${plan.name} from template ${plan.template} (a copy of ${plan.source}): origin ${plan.originDomain}${plan.aliasHost ? `, alias ${plan.aliasHost}` : ", no alias"}`;
}

async function mayAsk(
  deps: EnvironmentDeps,
  alias: string,
  who: { actor: Actor; channelId: string },
  what: string,
) {
  const policy = effectivePolicy(deps.config, alias);
  const allowed = await mayRequest(
    policy,
    { userId: who.actor.userId, channelId: who.channelId },
    deps.membersOf,
  );
  if (!allowed.allowed) throw new UserError(`You may not ${what}: ${allowed.reason}. Nothing was sent.`);
  return policy;
}

/**
 * The checks before anything is asked of AWS or of approvers: the template, the name, the bot's
 * limit on environments, the account's quota of distributions, and a config that can be made.
 */
async function checkCreate(deps: EnvironmentDeps, request: CreateEnvironmentRequest) {
  const plan = planEnvironment(deps.config, request);
  const template = findTemplate(deps.config, plan.template);
  const source = deps.config.distributions[plan.source];
  if (!source)
    throw new UserError(
      `Template ${quote(plan.template)} copies ${quote(plan.source)}, which is not in the config.`,
    );
  const live = (await deps.records.list("environment")).filter(inUse);
  if (live.some((e) => e.name === plan.name))
    throw new UserError(`There is already an environment ${quote(plan.name)}.`);
  // Creates waiting for approval count as made: limits count what was accepted, not only what is.
  const askedFor = (await deps.records.list("approval")).filter(
    (r) => r.state === "pending" && r.payload.kind === "environment" && r.payload.action === "create",
  );
  const sameName = askedFor.find((r) => r.payload.kind === "environment" && r.payload.name === plan.name);
  if (sameName)
    throw new UserError(`Environment ${quote(plan.name)} is already asked for (request ${sameName.id}).`);
  const max = deps.config.environments?.max ?? 5;
  const counted = live.length + askedFor.length;
  if (counted >= max)
    throw new UserError(
      `I keep at most ${plural(max, "environment")} at once (\`environments.max\`), and there are ${live.length}${askedFor.length > 0 ? ` and ${askedFor.length} waiting for approval` : ""}: delete one first (\`/cdn env list\`).`,
    );
  const quota = deps.config.environments?.distributionsQuota ?? 200;
  let count: number;
  let priceClass: string | undefined;
  try {
    count = (await deps.cloudfront.listDistributions(source.id)).length;
    const { config } = await deps.cloudfront.getDistributionConfig(source.id);
    environmentConfig(config, template, { id: "check", ...plan });
    priceClass = config.PriceClass;
  } catch (error) {
    if (error instanceof UserError) throw error;
    throw new UserError(
      `I could not check the account's distributions: ${describeAwsError(error).explanation}`,
    );
  }
  count += askedFor.length;
  if (count >= quota)
    throw new UserError(
      `The account has ${count} distributions and its quota is ${quota} (\`environments.distributionsQuota\`): another cannot be made. Delete one, or ask AWS to raise the quota.`,
    );
  const cost = `No charge for the distribution itself; its requests and data transfer are billed like ${plan.source}'s (${priceClass ?? "PriceClass_All"}). ${count + 1} of ${quota} distributions in the account, ${counted + 1} of ${max} environments.`;
  return { plan, source, cost };
}

/**
 * `/cdn env create`: checks, then asks for approval (or, where the policy needs none, creates it).
 * What is refused is refused before anything reaches AWS.
 */
export async function requestEnvironment(
  deps: EnvironmentDeps,
  request: CreateEnvironmentRequest,
): Promise<string> {
  const template = findTemplate(deps.config, request.template);
  const policy = await mayAsk(
    deps,
    template.from,
    request,
    `create environments from ${quote(request.template)}`,
  );
  // One create at a time, in this process and across replicas, from its checks until it is
  // stored: two asked at the same instant cannot both take the last place under the limit.
  return deps.exclusive("environment-create", () => createChecked(deps, request, policy));
}

async function createChecked(
  deps: EnvironmentDeps,
  request: CreateEnvironmentRequest,
  policy: Awaited<ReturnType<typeof mayAsk>>,
): Promise<string> {
  const { plan, source, cost } = await checkCreate(deps, request);
  const id = request.id ?? deps.newId();
  const summary = describePlan(plan);
  if (needsApproval(policy, "environment")) {
    const approval = await openApprovalRequest(deps.approvals, {
      action: "environment",
      alias: plan.source,
      distributionId: source.id,
      actor: request.actor,
      channelId: request.channelId,
      payload: { kind: "environment", action: "create", environmentId: id, ...plan, summary },
      summary: `Create ${summary}`,
      estimatedCost: cost,
      id,
      ...(request.apiOrigin ? { origin: request.apiOrigin } : {}),
    });
    return `Environment ${plan.name} (${approval.id}) waits for approval in the channel. ${cost}`;
  }
  const env = newEnvironment(id, plan, request.actor, request.channelId, deps.clock(), request.apiOrigin);
  await deps.records.commit(
    {
      writes: [{ kind: "environment", op: "create", record: env }],
      audit: [
        {
          type: "environment.requested",
          actor: request.actor,
          channelId: request.channelId,
          alias: plan.name,
          requestId: id,
          summary: `Create ${summary}`,
        },
      ],
    },
    deps.clock(),
  );
  let messageTs: string;
  try {
    messageTs = await deps.announcer.postParent(env);
  } catch (error) {
    // No thread, no environment: withdraw the intent, or the scheduler would create it unannounced.
    await deps.records.commit(
      { writes: [{ kind: "environment", op: "delete", id: env.id, expectedVersion: env.version }] },
      deps.clock(),
    );
    throw error instanceof NotInChannelError ? error.because("Nothing was sent to AWS.") : error;
  }
  await applyEvent(deps, env.id, { type: "posted", messageTs });
  await runEnvironment(deps, env.id);
  return `Environment ${plan.name} (${env.id}) is being created. ${cost}`;
}

function newEnvironment(
  id: string,
  plan: EnvironmentPlan,
  actor: Actor,
  channelId: string,
  now: number,
  origin?: Origin,
  messageTs?: string,
): Environment {
  return {
    version: 0,
    id,
    ...plan,
    state: "creating",
    requestedBy: actor,
    channelId,
    requestedAt: now,
    told: [],
    announced: { created: false, deleted: false },
    ...(messageTs ? { messageTs } : {}),
    ...(origin ? { origin } : {}),
  };
}

/** A live environment by name, as `/cdn env delete` and the API name it. */
export async function findEnvironment(deps: Pick<EnvironmentDeps, "records">, name: string) {
  const env = (await deps.records.list("environment")).find((e) => e.name === name.toLowerCase() && inUse(e));
  if (!env) throw new UserError(`There is no environment ${quote(name)}. \`/cdn env list\` shows them.`);
  return env;
}

/** `/cdn env delete`: disable, wait until Deployed, delete; approval first where the policy says so. */
export async function requestEnvironmentDeletion(
  deps: EnvironmentDeps,
  request: DeleteEnvironmentRequest,
): Promise<string> {
  const env = await findEnvironment(deps, request.name);
  const policy = await mayAsk(deps, env.name, request, `delete ${quote(env.name)}`);
  if (env.state !== "ready" || !env.distributionId)
    throw new UserError(`Environment ${env.name} is ${env.state}; it can be deleted once it is ready.`);
  const pending = (await deps.records.list("approval")).find(
    (r) => r.state === "pending" && r.payload.kind === "environment" && r.payload.environmentId === env.id,
  );
  if (pending) throw new UserError(`Deleting ${env.name} is already asked for (request ${pending.id}).`);
  const id = request.id ?? deps.newId();
  if (needsApproval(policy, "environment")) {
    const payload: EnvironmentPayload = {
      kind: "environment",
      action: "delete",
      environmentId: env.id,
      name: env.name,
      template: env.template,
      originDomain: env.originDomain,
      ...(env.aliasHost ? { aliasHost: env.aliasHost } : {}),
      summary: `delete environment ${env.name} (${env.distributionId})`,
    };
    const approval = await openApprovalRequest(deps.approvals, {
      action: "environment",
      alias: env.name,
      distributionId: env.distributionId,
      actor: request.actor,
      channelId: request.channelId,
      payload,
      summary: `Delete environment ${env.name}`,
      id,
      ...(request.apiOrigin ? { origin: request.apiOrigin } : {}),
    });
    return `Deleting ${env.name} (${approval.id}) waits for approval in the channel.`;
  }
  const deletion = {
    id,
    requestedBy: request.actor,
    channelId: request.channelId,
    requestedAt: deps.clock(),
    ...(request.apiOrigin ? { origin: request.apiOrigin } : {}),
  };
  const moved = await applyEvent(deps, env.id, { type: "delete-requested", deletion });
  if (moved?.deletion?.id !== id) throw new UserError(`Environment ${env.name} is already being deleted.`);
  await postDeletion(deps, moved);
  await runEnvironment(deps, env.id);
  return `Environment ${env.name} is being deleted: disabled first, then deleted once that is Deployed.`;
}

async function postDeletion(deps: EnvironmentDeps, env: Environment) {
  try {
    const messageTs = await deps.announcer.postDeletion(env);
    await applyEvent(deps, env.id, { type: "deletion-posted", messageTs });
  } catch (error) {
    // The delete goes on: the environment's own thread follows it too.
    deps.logger.warn("Could not post an environment's deletion", { error });
  }
}

/** Runs an approved create or delete; the request's message becomes its thread. */
export async function startApprovedEnvironment(
  deps: EnvironmentDeps,
  request: ApprovalRequest,
): Promise<void> {
  const payload = request.payload;
  if (payload.kind !== "environment") throw new Error(`request ${request.id} is not an environment's`);
  const messageTs = (await deps.records.get("approval", request.id))?.messageTs ?? request.messageTs;
  if (payload.action === "delete") {
    const moved = await applyEvent(deps, payload.environmentId, {
      type: "delete-requested",
      deletion: {
        id: request.id,
        requestedBy: request.requestedBy,
        channelId: request.channelId,
        requestedAt: deps.clock(),
        ...(messageTs ? { messageTs } : {}),
        ...(request.origin ? { origin: request.origin } : {}),
      },
    });
    if (moved) await runEnvironment(deps, payload.environmentId);
    return;
  }
  // Already started (an approval handed over twice), or finished and archived: never create twice.
  if (await deps.records.get("environment", payload.environmentId)) return;
  const plan: EnvironmentPlan = {
    name: payload.name,
    template: payload.template,
    source: request.alias,
    originDomain: payload.originDomain,
    ...(payload.aliasHost ? { aliasHost: payload.aliasHost } : {}),
  };
  const env = newEnvironment(
    payload.environmentId,
    plan,
    request.requestedBy,
    request.channelId,
    deps.clock(),
    request.origin,
    messageTs,
  );
  try {
    await deps.records.commit({ writes: [{ kind: "environment", op: "create", record: env }] }, deps.clock());
  } catch (error) {
    if (error instanceof ConflictError) return; // another hand-over created it first: that one runs
    throw error;
  }
  await deps.activity?.publish({
    kind: "environment",
    stage: "approved",
    distributionId: request.distributionId,
    alias: request.alias,
    actorUserId: request.requestedBy.userId,
    channelId: request.channelId,
    ...(messageTs ? { messageTs } : {}),
    summary: `environment ${payload.name} approved: ${payload.summary}`,
  });
  await runEnvironment(deps, env.id);
}

/**
 * Runs one event through the machine: reads, stores the next state conditional on the version read
 * (reading again if another writer moved it), then carries out the effects.
 */
async function applyEvent(
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

// One environment's steps run one after the other, never interleaved.
const locks = new Map<string, Promise<unknown>>();

function withLock<T>(id: string, work: () => Promise<T>): Promise<T> {
  const previous = locks.get(id) ?? Promise.resolve();
  const run = previous.then(work, work);
  const settled = run.catch(() => undefined);
  locks.set(id, settled);
  void settled.then(() => {
    if (locks.get(id) === settled) locks.delete(id);
  });
  return run;
}

/** Does the next step of an environment now, unless another replica holds its lease. */
export async function runEnvironment(deps: EnvironmentDeps, id: string): Promise<void> {
  if (!(await ownedAmong([id], environmentWorkOf, deps.owns)).size) return;
  await withLock(id, () => step(deps, id));
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
type Ending = { type: "create-failed" | "delete-refused"; error: string };

async function transientOr(deps: EnvironmentDeps, env: Environment, error: unknown, end: Ending) {
  const problem = describeAwsError(error);
  if (problem.retryable)
    await applyEvent(deps, env.id, {
      type: "transient",
      note: { code: "retrying", awsCode: problem.code, explanation: problem.explanation },
    });
  else
    await applyEvent(deps, env.id, {
      ...end,
      error: `${end.error}${problem.explanation}`,
      awsCode: problem.code,
    });
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
  const sourceId = deps.config.distributions[env.source]?.id;
  if (!template || !sourceId) {
    await applyEvent(deps, env.id, {
      type: "create-failed",
      error: `Template ${env.template} (or its distribution ${env.source}) is no longer in the config. Nothing was created.`,
    });
    return;
  }
  const fail: Ending = { type: "create-failed", error: "CloudFront refused to create it: " };
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
      await applyEvent(deps, env.id, { type: "create-failed", error: error.message });
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
  const refuse: Ending = {
    type: "delete-refused",
    error: "CloudFront refused to disable it, so it was not deleted: ",
  };
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
  const refuse: Ending = {
    type: "delete-refused",
    error: "CloudFront refused to delete it (it stays disabled; ask again to delete it): ",
  };
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
  deps.registry.sync(all);
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
  for (const env of due.filter((e) => mine.has(e.id))) await withLock(env.id, () => step(deps, env.id));
  const following = (await deps.records.list("environment")).filter(
    (e) => e.state === "deploying" || e.state === "disabling",
  );
  wakeForEarliest(
    paceOf(deps),
    following.map((e) => e.nextPollAt),
  );
}

/** What `/cdn env list` and the API show. */
export async function listEnvironments(deps: Pick<EnvironmentDeps, "records">): Promise<Environment[]> {
  return (await deps.records.list("environment")).filter(inUse);
}
