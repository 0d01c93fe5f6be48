import { openApprovalRequest } from "../approvals/approval-service.js";
import { mayRequest, needsApproval } from "../approvals/policy.js";
import { describeAwsError } from "../aws/aws-errors.js";
import { NotInChannelError, UserError } from "../errors.js";
import { ConflictError } from "../store/record-store.js";
import type { Actor, ApprovalRequest, Environment, EnvironmentPayload, Origin } from "../store/records.js";
import { plural, quote } from "../text/plain-text.js";
import type { EnvironmentDeps } from "./environment-deps.js";
import { runEnvironment } from "./environment-runner.js";
import { applyEvent } from "./environment-steps.js";
import {
  type EnvironmentPlan,
  environmentConfig,
  findTemplate,
  planEnvironment,
} from "./environment-template.js";

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
  const policy = deps.approvals.policyFor(alias);
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
  const plan = planEnvironment(
    deps.config,
    request,
    deps.directory.list().map((d) => d.alias),
  );
  const template = findTemplate(deps.config, plan.template);
  const source = deps.directory.get(plan.source);
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

/** What `/cdn env list` and the API show. */
export async function listEnvironments(deps: Pick<EnvironmentDeps, "records">): Promise<Environment[]> {
  return (await deps.records.list("environment")).filter(inUse);
}
