import { z } from "zod";
import { newRequestId } from "../approvals/approval-service.js";
import type { EffectivePolicy } from "../approvals/policy.js";
import type { ChangeDeps } from "../changes/change-deps.js";
import { requestChange } from "../changes/change-requests.js";
import type { CdnbotConfig } from "../config/config-schema.js";
import { resolveDistribution } from "../config/resolve-distribution.js";
import { readDistributionStatus, type StatusDeps } from "../distributions/distribution-status.js";
import type { EnvironmentDeps } from "../environments/environment-deps.js";
import { environmentTemplateOf } from "../environments/environment-registry.js";
import {
  findEnvironment,
  listEnvironments,
  requestEnvironment,
  requestEnvironmentDeletion,
} from "../environments/environment-requests.js";
import { NotInChannelError, UserError } from "../errors.js";
import type { Logger } from "../logger.js";
import { readDistributionStats, type StatsDeps } from "../metrics/distribution-stats.js";
import { parseWindow } from "../metrics/metric-window.js";
import { type PurgeServiceDeps, requestPurge } from "../purge/purge-service.js";
import { changeSpecSchema } from "../store/change-spec.js";
import { ConflictError, type RecordStore } from "../store/record-store.js";
import type { Origin } from "../store/records.js";
import { type ApiCaller, aliasesFor, mayUse } from "./api-clients.js";
import { ApiError } from "./api-errors.js";
import { checkCallbackUrl } from "./callbacks.js";
import type { ClientRates } from "./client-rates.js";
import { fingerprintOf, idempotentIds, validIdempotencyKey } from "./idempotency.js";
import {
  findOperation,
  type OperationRecords,
  type OperationStatus,
  operationStatus,
} from "./operation-status.js";

export type ApiDeps = {
  config: CdnbotConfig;
  records: RecordStore;
  purges: PurgeServiceDeps;
  changes: ChangeDeps;
  environments: EnvironmentDeps;
  status: StatusDeps;
  stats: StatsDeps;
  policyFor: (alias: string) => EffectivePolicy;
  /** CDNBOT_CALLBACK_SECRET: without it, requests with a callback are refused. */
  callbackSecret: string | undefined;
  /** Each client's requests in the last minute (`requestsPerMinute`). */
  rates: ClientRates;
  clock: () => number;
  sleep: (ms: number) => Promise<void>;
  logger: Logger;
};

/** The longest a caller may wait in one request; a pipeline asks again for longer. */
export const MAX_WAIT_SECONDS = 120;
/** How often a waiting request looks at the store (any replica may move the operation). */
const WAIT_STEP_MS = 1_000;

const callbackUrl = z
  .string()
  .max(2048)
  .optional()
  .describe("Where to POST the operation's final state, signed (a host in api.callbacks.allowedHosts)");

export const purgeBodySchema = z.strictObject({
  distribution: z.string().min(1).max(100),
  paths: z.array(z.string().min(1).max(4096)).min(1).max(3000),
  callbackUrl,
});
export type PurgeBody = z.infer<typeof purgeBodySchema>;

/** Every change kind but rollback, which is asked for in Slack, where its preview is read. */
const apiChangeSpecSchema = z.discriminatedUnion(
  "kind",
  changeSpecSchema.options.filter((o) => o.shape.kind.value !== "rollback") as unknown as [
    (typeof changeSpecSchema.options)[number],
    ...(typeof changeSpecSchema.options)[number][],
  ],
);

export const changeBodySchema = z.strictObject({
  distribution: z.string().min(1).max(100),
  change: apiChangeSpecSchema,
  callbackUrl,
});

export const environmentBodySchema = z.strictObject({
  template: z.string().min(1).max(40).describe("A template in the config's environments.templates"),
  name: z
    .string()
    .min(1)
    .max(40)
    .describe("The new environment's name: its alias among the bot's distributions"),
  origin: z.string().min(1).max(253).describe("The origin host it serves from"),
  alias: z
    .string()
    .min(1)
    .max(253)
    .optional()
    .describe("Its alias, directly under the template's aliasDomain"),
});

function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const broken = malformedText(body);
  if (broken)
    throw new ApiError(
      400,
      "invalid_request",
      `${broken.where}: ${JSON.stringify(broken.text.toWellFormed())} holds half of a UTF-16 pair (a lone surrogate, shown as U+FFFD): no character at all, so it can be neither shown nor sent.`,
    );
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const where = issue.path.length > 0 ? issue.path.join(".") : "body";
  throw new ApiError(400, "invalid_request", `${where}: ${issue.message}`);
}

/**
 * The first string in a body that is not well-formed Unicode (JSON's `\uD800` escapes can carry half
 * a pair), and where: refused as a malformed request before anything reads it.
 */
function malformedText(value: unknown, where = "body"): { where: string; text: string } | undefined {
  if (typeof value === "string") return value.isWellFormed() ? undefined : { where, text: value };
  if (typeof value !== "object" || value === null) return undefined;
  for (const [key, inner] of Object.entries(value)) {
    const at = where === "body" ? key : `${where}.${key}`;
    const found = malformedText(inner, at) ?? (key.isWellFormed() ? undefined : { where: at, text: key });
    if (found) return found;
  }
  return undefined;
}

/** The distribution a request names, if this client may use it (for `action`, when given). */
function targetFor(deps: ApiDeps, caller: ApiCaller, name: string, action?: "purge" | "change") {
  let target: { alias: string; id: string };
  try {
    target = resolveDistribution(deps.config, name, (alias) =>
      mayUse(caller, alias, undefined, environmentTemplateOf(deps.config, alias)),
    );
  } catch (error) {
    throw new ApiError(404, "not_found", (error as Error).message);
  }
  const template = environmentTemplateOf(deps.config, target.alias);
  if (!mayUse(caller, target.alias, undefined, template))
    throw new ApiError(403, "forbidden", `Client ${caller.name} may not use distribution ${target.alias}.`);
  if (action && !mayUse(caller, target.alias, action, template))
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

/** The channel a distribution's API requests are threaded in. */
function channelFor(deps: ApiDeps, alias: string): string {
  const channelId = deps.config.distributions[alias]?.channel;
  if (!channelId)
    throw new ApiError(
      422,
      "no_channel",
      `Distribution ${alias} has no channel for API requests: set distributions.${alias}.channel in the config.`,
    );
  return channelId;
}

/** A client with `openRequests` waiting for approval already asks for nothing more until people decide. */
async function refuseOverOpenRequests(deps: ApiDeps, caller: ApiCaller): Promise<void> {
  const now = deps.clock();
  const open = (await deps.records.list("approval")).filter(
    (r) => r.state === "pending" && r.expiresAt > now && r.origin?.client === caller.name,
  ).length;
  if (open >= caller.config.openRequests)
    throw new ApiError(
      429,
      "refused",
      `Client ${caller.name} has ${open} requests waiting for approval (api.clients.${caller.name}.openRequests); nothing was done. Ask again once people have decided some.`,
      { "retry-after": "60" },
    );
}

/** The domain's refusals, in the API's words. */
async function asApiErrors<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof NotInChannelError)
      throw new ApiError(422, "refused", `${error.message} Invite the bot to the distribution's channel.`);
    if (error instanceof UserError) throw new ApiError(422, "refused", error.message);
    throw error;
  }
}

/** Who asked for an operation, and with what key: its first record's origin. */
function originOf(found: OperationRecords): Origin | undefined {
  const record = found.approval ?? found.purge ?? found.change;
  if (record) return record.origin ?? { client: "", fingerprint: "" };
  const env = found.environment;
  return (
    (found.environmentAction === "delete" ? env?.deletion?.origin : env?.origin) ?? {
      client: "",
      fingerprint: "",
    }
  );
}

/**
 * Runs a request once per Idempotency-Key: a retry walks the key's ids and answers with its first
 * attempt's operation (the same key with another request is refused); without a key, runs it.
 * `run` makes the operation under the id it is given and returns nothing of it: its state is read.
 */
async function submitOnce(
  deps: ApiDeps,
  caller: ApiCaller,
  request: { key: string | undefined; asked: object; callbackUrl: string | undefined },
  run: (id: string, origin: Origin) => Promise<void>,
): Promise<{ replayed: boolean; operation: OperationStatus }> {
  const { key } = request;
  if (key !== undefined && !validIdempotencyKey(key))
    throw new ApiError(400, "invalid_request", "Idempotency-Key: 1 to 255 visible ASCII characters.");
  const wait = deps.rates.take(caller.name, caller.config.requestsPerMinute, deps.clock());
  if (wait !== undefined)
    throw new ApiError(
      429,
      "refused",
      `Client ${caller.name} asked for more than ${caller.config.requestsPerMinute} things in a minute (api.clients.${caller.name}.requestsPerMinute); nothing was done. Try again in ${wait} s.`,
      { "retry-after": String(wait) },
    );
  const callbackUrl =
    request.callbackUrl === undefined
      ? undefined
      : checkCallbackUrl(deps.config, deps.callbackSecret, request.callbackUrl);
  const fingerprint = fingerprintOf({ ...request.asked, callbackUrl });
  const origin: Origin = {
    client: caller.name,
    fingerprint,
    ...(key !== undefined ? { idempotencyKey: key } : {}),
    ...(callbackUrl ? { callbackUrl } : {}),
  };
  const start = async (id: string) => {
    // Counted and taken under one lock per client: two requests at the same instant cannot both see
    // the last open place (each is stored, an approval and all, before the next one counts).
    await deps.purges.exclusive(`open-requests:${caller.name}`, async () => {
      await refuseOverOpenRequests(deps, caller);
      await asApiErrors(() => run(id, origin));
    });
    const status = await statusOf(deps, id);
    if (!status) throw new Error(`operation ${id} vanished after it was made`);
    return { replayed: false, operation: status };
  };
  if (key === undefined) return start(newRequestId());

  for (const id of idempotentIds(caller.name, key)) {
    for (let look = 0; look < 2; look++) {
      const found = await findOperation(deps.records, id);
      const first = found && originOf(found);
      if (found && first) {
        const same = first.client === caller.name && first.idempotencyKey === key;
        if (!same) break; // another request's id: try the next
        if (first.fingerprint !== fingerprint)
          throw new ApiError(
            422,
            "idempotency_key_reused",
            `Idempotency-Key ${JSON.stringify(key)} was used for a different request (operation ${id}).`,
          );
        return { replayed: true, operation: operationStatus(found, deps.policyFor) };
      }
      try {
        return await start(id);
      } catch (error) {
        // A concurrent retry made this id first: look again, and answer with that one. Any other
        // conflict is not a retry's, and never passes for a replay.
        if (!(error instanceof ConflictError && error.id === id && error.reason === "exists")) throw error;
      }
    }
  }
  throw new ApiError(409, "invalid_request", "This Idempotency-Key cannot be used: choose another.");
}

/**
 * `POST /api/v1/purges`: the same purge a person asks for in Slack, under the same policy, with its
 * thread in the distribution's channel naming the client.
 */
export async function submitPurge(
  deps: ApiDeps,
  caller: ApiCaller,
  body: unknown,
  idempotencyKey: string | undefined,
): Promise<{ replayed: boolean; operation: OperationStatus }> {
  const input = parseBody(purgeBodySchema, body);
  const target = targetFor(deps, caller, input.distribution, "purge");
  const channelId = channelFor(deps, target.alias);
  const asked = { purge: target.alias, paths: input.paths };
  const request = { key: idempotencyKey, asked, callbackUrl: input.callbackUrl };
  return submitOnce(deps, caller, request, async (id, origin) => {
    await requestPurge(deps.purges, {
      distribution: target.alias,
      paths: input.paths,
      actor: caller.actor,
      channelId,
      id,
      origin,
    });
  });
}

/**
 * `POST /api/v1/changes`: a typed change (the same kinds as `/cdn ttl`, `/cdn origin`…), previewed
 * against the live config, approved by people where the policy says so, written and followed to
 * Deployed as from Slack. Rollbacks stay in Slack (`/cdn rollback`).
 */
export async function submitChange(
  deps: ApiDeps,
  caller: ApiCaller,
  body: unknown,
  idempotencyKey: string | undefined,
): Promise<{ replayed: boolean; operation: OperationStatus }> {
  if ((body as { change?: { kind?: unknown } } | null)?.change?.kind === "rollback")
    throw new ApiError(
      400,
      "invalid_request",
      "change.kind: a rollback is asked for in Slack (`/cdn rollback <change>`), where its preview is read.",
    );
  const input = parseBody(changeBodySchema, body);
  const target = targetFor(deps, caller, input.distribution, "change");
  const channelId = channelFor(deps, target.alias);
  const asked = { change: target.alias, spec: input.change };
  const request = { key: idempotencyKey, asked, callbackUrl: input.callbackUrl };
  return submitOnce(deps, caller, request, async (id, origin) => {
    await requestChange(deps.changes, {
      distribution: target.alias,
      spec: input.change,
      actor: caller.actor,
      channelId,
      id,
      origin,
    });
  });
}

/** An environment template this client may create from (and delete the environments of). */
function templateFor(deps: ApiDeps, caller: ApiCaller, template: string) {
  if (!deps.config.environments?.templates[template])
    throw new ApiError(404, "not_found", `There is no environment template ${template}.`);
  if (!mayUse(caller, template, "environment", template))
    throw new ApiError(
      403,
      "forbidden",
      `Client ${caller.name} may not create or delete environments from template ${template} (it needs the template in its distributions and the \`environment\` action).`,
    );
  const source = deps.config.environments.templates[template]!;
  const channelId = source.channel ?? deps.config.distributions[source.from]?.channel;
  if (!channelId)
    throw new ApiError(
      422,
      "no_channel",
      `Template ${template} has no channel for API requests: set environments.templates.${template}.channel (or its distribution's channel).`,
    );
  return channelId;
}

/**
 * `POST /api/v1/environments`: a new environment distribution from a template, approved by people
 * where the policy says so (by default), followed to Deployed. Wait on the operation for its end.
 */
export async function submitEnvironment(
  deps: ApiDeps,
  caller: ApiCaller,
  body: unknown,
  idempotencyKey: string | undefined,
): Promise<{ replayed: boolean; operation: OperationStatus }> {
  refuseCallback(body);
  const input = parseBody(environmentBodySchema, body);
  const channelId = templateFor(deps, caller, input.template);
  const request = { key: idempotencyKey, asked: { environment: input }, callbackUrl: undefined };
  return submitOnce(deps, caller, request, async (id, origin) => {
    await requestEnvironment(deps.environments, {
      ...input,
      actor: caller.actor,
      channelId,
      id,
      apiOrigin: origin,
    });
  });
}

/** `DELETE /api/v1/environments/:name`: disable, wait until Deployed, delete. */
export async function deleteEnvironment(
  deps: ApiDeps,
  caller: ApiCaller,
  name: string,
  idempotencyKey: string | undefined,
): Promise<{ replayed: boolean; operation: OperationStatus }> {
  const env = await findEnvironment(deps.environments, name).catch((error: Error) => {
    throw new ApiError(404, "not_found", error.message);
  });
  const channelId = templateFor(deps, caller, env.template);
  const request = { key: idempotencyKey, asked: { deleteEnvironment: env.id }, callbackUrl: undefined };
  return submitOnce(deps, caller, request, async (id, origin) => {
    await requestEnvironmentDeletion(deps.environments, {
      name: env.name,
      actor: caller.actor,
      channelId,
      id,
      apiOrigin: origin,
    });
  });
}

/** `GET /api/v1/environments`: the environments this client may see. */
export async function getEnvironments(deps: ApiDeps, caller: ApiCaller) {
  return (await listEnvironments(deps.environments))
    .filter((e) => mayUse(caller, e.name, undefined, e.template))
    .map((e) => ({
      name: e.name,
      template: e.template,
      state: e.state,
      origin: e.originDomain,
      ...(e.aliasHost ? { alias: e.aliasHost } : {}),
      ...(e.distributionId ? { distributionId: e.distributionId } : {}),
      ...(e.domainName ? { domainName: e.domainName } : {}),
      ...(e.error ? { error: e.error } : {}),
    }));
}

/** Environments are followed by waiting on their operation; callbacks are for purges and changes. */
function refuseCallback(body: unknown) {
  if (typeof body === "object" && body !== null && "callbackUrl" in body)
    throw new ApiError(
      400,
      "invalid_request",
      "callbackUrl: environments take no callback yet; wait on the operation (GET /api/v1/operations/{id}/wait).",
    );
}

/** `GET /api/v1/operations/:id`. */
export async function getOperation(deps: ApiDeps, caller: ApiCaller, id: string): Promise<OperationStatus> {
  const status = await statusOf(deps, id);
  // Another client's distribution reads as missing: its ids say nothing to this one.
  // A purge or change on an environment is covered by the template the client was given.
  const template =
    status?.environment?.template ?? (status && environmentTemplateOf(deps.config, status.distribution));
  if (!status || !mayUse(caller, status.distribution, undefined, template))
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
    // Purges are named by their request, changes by their write (or the approval asked first).
    const namesChange =
      entry.type === "approval.requested" ||
      entry.type === "aws.UpdateDistribution" ||
      entry.type.startsWith("change.");
    const id =
      entry.type === "purge.requested" ? entry.operationId : namesChange ? entry.requestId : undefined;
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

/** `GET /api/v1/distributions/:name/stats?window=1h`: this window's totals and averages against the one before. */
export async function getStats(deps: ApiDeps, caller: ApiCaller, name: string, window: string | undefined) {
  const target = targetFor(deps, caller, name);
  // The window is the caller's to get right (400); after that, only CloudWatch can fail (502).
  try {
    parseWindow(window);
  } catch (error) {
    if (error instanceof UserError)
      throw new ApiError(400, "invalid_request", error.message.replaceAll("`", ""));
    throw error;
  }
  let report: Awaited<ReturnType<typeof readDistributionStats>>;
  try {
    report = await readDistributionStats(deps.stats, target.id, window);
  } catch (error) {
    if (error instanceof UserError) throw new ApiError(502, "internal", error.message);
    throw error;
  }
  return {
    distribution: report.alias,
    distributionId: report.distributionId,
    window: report.window.label,
    noData: report.noData,
    metrics: Object.fromEntries(
      report.summaries.map((m) => [
        m.metric,
        {
          ...(m.current !== undefined ? { current: m.current } : {}),
          ...(m.previous !== undefined ? { previous: m.previous } : {}),
          ...(m.changePercent !== undefined ? { changePercent: Math.round(m.changePercent * 10) / 10 } : {}),
        },
      ]),
    ),
  };
}

/** The requests waiting for a person's approval on the distributions this client may read. */
export async function pendingApprovals(deps: ApiDeps, caller: ApiCaller): Promise<OperationStatus[]> {
  const now = deps.clock();
  const open = (await deps.records.list("approval")).filter(
    (r) =>
      r.state === "pending" &&
      r.expiresAt > now &&
      mayUse(
        caller,
        r.alias,
        undefined,
        r.payload.kind === "environment" ? r.payload.template : environmentTemplateOf(deps.config, r.alias),
      ),
  );
  // A pending request has no purge or change yet (they take its id once approved): it is the operation.
  return open.map((approval) => operationStatus({ approval }, deps.policyFor));
}
