import { z } from "zod";
import type { EffectivePolicy } from "../approvals/policy.js";
import type { CdnbotConfig } from "../config/config-schema.js";
import { resolveDistribution } from "../config/resolve-distribution.js";
import { readDistributionStatus, type StatusDeps } from "../distributions/distribution-status.js";
import { NotInChannelError, UserError } from "../errors.js";
import type { Logger } from "../logger.js";
import { type PurgeServiceDeps, requestPurge } from "../purge/purge-service.js";
import { ConflictError, type RecordStore } from "../store/record-store.js";
import type { Origin } from "../store/records.js";
import { type ApiCaller, aliasesFor, mayUse } from "./api-clients.js";
import { ApiError } from "./api-errors.js";
import { fingerprintOf, idempotentIds, validIdempotencyKey } from "./idempotency.js";
import { findOperation, type OperationStatus, operationStatus } from "./operation-status.js";

export type ApiDeps = {
  config: CdnbotConfig;
  records: RecordStore;
  purges: PurgeServiceDeps;
  status: StatusDeps;
  policyFor: (alias: string) => EffectivePolicy;
  clock: () => number;
  sleep: (ms: number) => Promise<void>;
  logger: Logger;
};

/** The longest a caller may wait in one request; a pipeline asks again for longer. */
export const MAX_WAIT_SECONDS = 120;
/** How often a waiting request looks at the store (any replica may move the operation). */
const WAIT_STEP_MS = 1_000;

export const purgeBodySchema = z.strictObject({
  distribution: z.string().min(1).max(100),
  paths: z.array(z.string().min(1).max(4096)).min(1).max(3000),
});
export type PurgeBody = z.infer<typeof purgeBodySchema>;

function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const where = issue.path.length > 0 ? issue.path.join(".") : "body";
  throw new ApiError(400, "invalid_request", `${where}: ${issue.message}`);
}

/** The distribution a request names, if this client may use it (for `action`, when given). */
function targetFor(deps: ApiDeps, caller: ApiCaller, name: string, action?: "purge" | "change") {
  let target: { alias: string; id: string };
  try {
    target = resolveDistribution(deps.config, name);
  } catch (error) {
    throw new ApiError(404, "not_found", (error as Error).message);
  }
  if (!mayUse(caller, target.alias))
    throw new ApiError(403, "forbidden", `Client ${caller.name} may not use distribution ${target.alias}.`);
  if (action && !mayUse(caller, target.alias, action))
    throw new ApiError(
      403,
      "forbidden",
      `Client ${caller.name} may not ${action} (its token is read-only for that).`,
    );
  return target;
}

async function statusOf(deps: ApiDeps, id: string): Promise<OperationStatus | undefined> {
  const found = await findOperation(deps.records, id);
  return found ? operationStatus(found, deps.policyFor) : undefined;
}

/**
 * `POST /api/v1/purges`: the same purge a person asks for in Slack, under the same policy, with its
 * thread in the distribution's channel naming the client. With an Idempotency-Key, a retry returns
 * the first attempt's operation and never purges again.
 */
export async function submitPurge(
  deps: ApiDeps,
  caller: ApiCaller,
  body: unknown,
  idempotencyKey: string | undefined,
): Promise<{ replayed: boolean; operation: OperationStatus }> {
  const input = parseBody(purgeBodySchema, body);
  if (idempotencyKey !== undefined && !validIdempotencyKey(idempotencyKey))
    throw new ApiError(400, "invalid_request", "Idempotency-Key: 1 to 255 visible ASCII characters.");
  const target = targetFor(deps, caller, input.distribution, "purge");
  const channelId = deps.config.distributions[target.alias]?.channel;
  if (!channelId)
    throw new ApiError(
      422,
      "no_channel",
      `Distribution ${target.alias} has no channel for API requests: set distributions.${target.alias}.channel in the config.`,
    );
  const origin: Origin = {
    client: caller.name,
    fingerprint: fingerprintOf({ purge: target.alias, paths: input.paths }),
    ...(idempotencyKey !== undefined ? { idempotencyKey } : {}),
  };
  const run = async (id?: string) => {
    try {
      const outcome = await requestPurge(deps.purges, {
        distribution: target.alias,
        paths: input.paths,
        actor: caller.actor,
        channelId,
        origin,
        ...(id ? { id } : {}),
      });
      const id2 = outcome.kind === "started" ? outcome.operation.id : outcome.request.id;
      return (await statusOf(deps, id2))!;
    } catch (error) {
      if (error instanceof NotInChannelError)
        throw new ApiError(422, "refused", `${error.message} Invite the bot to the distribution's channel.`);
      if (error instanceof UserError) throw new ApiError(422, "refused", error.message);
      throw error;
    }
  };
  if (idempotencyKey === undefined) return { replayed: false, operation: await run() };

  for (const id of idempotentIds(caller.name, idempotencyKey)) {
    for (let look = 0; look < 2; look++) {
      const found = await findOperation(deps.records, id);
      const first = found && (found.approval ?? found.purge ?? found.change);
      if (first) {
        const same = first.origin?.client === caller.name && first.origin.idempotencyKey === idempotencyKey;
        if (!same) break; // another request's id: try the next
        if (first.origin?.fingerprint !== origin.fingerprint)
          throw new ApiError(
            422,
            "idempotency_key_reused",
            `Idempotency-Key ${JSON.stringify(idempotencyKey)} was used for a different request (operation ${id}).`,
          );
        return { replayed: true, operation: operationStatus(found, deps.policyFor) };
      }
      try {
        return { replayed: false, operation: await run(id) };
      } catch (error) {
        // A concurrent retry created it first: look again, and answer with that one.
        if (!(error instanceof ConflictError)) throw error;
      }
    }
  }
  throw new ApiError(409, "invalid_request", "This Idempotency-Key cannot be used: choose another.");
}

/** `GET /api/v1/operations/:id`. */
export async function getOperation(deps: ApiDeps, caller: ApiCaller, id: string): Promise<OperationStatus> {
  const status = await statusOf(deps, id);
  // Another client's distribution reads as missing: its ids say nothing to this one.
  if (!status || !mayUse(caller, status.distribution))
    throw new ApiError(404, "not_found", `There is no operation ${id} (or it is past retention).`);
  return status;
}

/**
 * `GET /api/v1/operations/:id/wait?timeout=N`: answers as soon as the operation is final, or with
 * its state when the time is up; the caller asks again. Reads the store, so any replica may answer.
 */
export async function waitForOperation(
  deps: ApiDeps,
  caller: ApiCaller,
  id: string,
  timeoutSeconds: number,
): Promise<OperationStatus> {
  if (!Number.isFinite(timeoutSeconds) || timeoutSeconds < 0 || timeoutSeconds > MAX_WAIT_SECONDS)
    throw new ApiError(400, "invalid_request", `timeout: 0 to ${MAX_WAIT_SECONDS} seconds.`);
  const deadline = deps.clock() + timeoutSeconds * 1000;
  for (;;) {
    const status = await getOperation(deps, caller, id);
    if (status.final || deps.clock() >= deadline) return status;
    await deps.sleep(Math.min(WAIT_STEP_MS, deadline - deps.clock()));
  }
}

/** `GET /api/v1/operations`: the newest operations on the distributions this client may read. */
export async function listOperations(
  deps: ApiDeps,
  caller: ApiCaller,
  query: { distribution?: string; limit: number },
): Promise<OperationStatus[]> {
  const target = query.distribution ? targetFor(deps, caller, query.distribution) : undefined;
  const allowed = new Set(aliasesFor(caller, deps.config).map((a) => deps.config.distributions[a]!.id));
  const ids: string[] = [];
  // The audit log names every operation when it is asked for: newest first.
  for (const entry of await deps.records.audit.query({
    ...(target ? { distributionId: target.id } : {}),
    limit: query.limit * 20,
  })) {
    if (!entry.distributionId || !allowed.has(entry.distributionId)) continue;
    const id =
      entry.type === "purge.requested"
        ? entry.operationId
        : entry.type === "approval.requested"
          ? entry.requestId
          : undefined;
    if (id && !ids.includes(id)) ids.push(id);
  }
  const found: OperationStatus[] = [];
  for (const id of ids) {
    const status = await statusOf(deps, id);
    if (status) found.push(status);
    if (found.length >= query.limit) break;
  }
  return found;
}

/** `GET /api/v1/distributions/:name`: as CloudFront describes it now, and its recent invalidations. */
export async function getDistribution(deps: ApiDeps, caller: ApiCaller, name: string) {
  const target = targetFor(deps, caller, name);
  try {
    const { alias, dist, invalidations } = await readDistributionStatus(deps.status, target.id);
    return {
      distribution: alias,
      id: dist.id,
      domainName: dist.domainName,
      aliases: dist.aliases,
      status: dist.status,
      enabled: dist.enabled,
      invalidations: invalidations.map((i) => ({
        id: i.id,
        status: i.status,
        ...(i.createTime ? { createdAt: i.createTime.toISOString() } : {}),
      })),
    };
  } catch (error) {
    if (error instanceof UserError) throw new ApiError(502, "internal", error.message);
    throw error;
  }
}
