import { newRequestId } from "../approvals/approval-service.js";
import { requestChange } from "../changes/change-requests.js";
import type { NamedKeyValueStore } from "../changes/key-value-stores.js";
import { decideStaged } from "../changes/staged-decisions.js";
import {
  findEnvironment,
  requestEnvironment,
  requestEnvironmentDeletion,
} from "../environments/environment-requests.js";
import { NotInChannelError, UserError } from "../errors.js";
import { requestPurge } from "../purge/purge-service.js";
import { ConflictError } from "../store/record-store.js";
import type { Origin } from "../store/records.js";
import { type ApiCaller, mayUse } from "./api-clients.js";
import { type ApiDeps, statusOf, storeFor, targetFor } from "./api-context.js";
import { ApiError } from "./api-errors.js";
import {
  changeBodySchema,
  environmentBodySchema,
  parseBody,
  purgeBodySchema,
  purgeItems,
  stagedDecisionBodySchema,
} from "./api-requests.js";
import { checkCallbackUrl } from "./callbacks.js";
import { fingerprintOf, idempotentIds, validIdempotencyKey } from "./idempotency.js";
import {
  findOperation,
  type OperationRecords,
  type OperationStatus,
  operationStatus,
} from "./operation-status.js";

/** The channel a distribution's API requests are threaded in. */
function channelFor(deps: ApiDeps, alias: string): string {
  const channelId = deps.directory.get(alias)?.channel;
  if (!channelId)
    throw new ApiError(
      422,
      "no_channel",
      `Distribution ${alias} has no channel for API requests: set distributions.${alias}.channel in the config.`,
    );
  return channelId;
}

function storeChannel(store: NamedKeyValueStore): string {
  if (!store.channel)
    throw new ApiError(
      422,
      "no_channel",
      `Key-value store ${store.alias} has no channel for API requests: set keyValueStores.${store.alias}.channel in the config.`,
    );
  return store.channel;
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
  const paths = purgeItems(input);
  const distribution = target.address;
  const asked = { purge: distribution, paths };
  const request = { key: idempotencyKey, asked, callbackUrl: input.callbackUrl };
  return submitOnce(deps, caller, request, async (id, origin) => {
    await requestPurge(deps.purges, {
      distribution,
      paths,
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
  // A key-value store's keys are changed through the same endpoint, named by the store's alias.
  const store = storeFor(deps, caller, input.distribution, "change");
  const target = store
    ? { alias: store.alias, address: store.alias }
    : targetFor(deps, caller, input.distribution, "change");
  const channelId = store ? storeChannel(store) : channelFor(deps, target.alias);
  const asked = {
    change: target.address,
    spec: input.change,
    ...(input.staged ? { staged: input.staged } : {}),
    ...(input.reason ? { reason: input.reason } : {}),
  };
  const request = { key: idempotencyKey, asked, callbackUrl: input.callbackUrl };
  return submitOnce(deps, caller, request, async (id, origin) => {
    await requestChange(deps.changes, {
      distribution: target.address,
      spec: input.change,
      ...(input.staged ? { staged: input.staged } : {}),
      ...(input.reason ? { reason: input.reason } : {}),
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
  const channelId = source.channel ?? deps.directory.get(source.from)?.channel;
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

/** Environments are followed by waiting on their operation; callbacks are for purges and changes. */
function refuseCallback(body: unknown) {
  if (typeof body === "object" && body !== null && "callbackUrl" in body)
    throw new ApiError(
      400,
      "invalid_request",
      "callbackUrl: environments take no callback yet; wait on the operation (GET /api/v1/operations/{id}/wait).",
    );
}

/**
 * `POST /api/v1/changes/{id}/promote` and `…/abort`: a client decides a staged change as a person
 * does with `/cdn promote|abort`, under the same rules (where changes need approval, no client
 * promotes: only people approve). Answers the operation as it is then.
 */
export async function decideStagedChange(
  deps: ApiDeps,
  caller: ApiCaller,
  id: string,
  kind: "promote" | "abort",
  body: unknown,
): Promise<OperationStatus> {
  const input = parseBody(stagedDecisionBodySchema, body ?? {});
  const found = await statusOf(deps, id);
  // Another client's distribution reads as missing: its ids say nothing to this one.
  if (found?.kind !== "change" || !mayUse(caller, found.distribution))
    throw new ApiError(404, "not_found", `There is no change ${id} (or it is past retention).`);
  if (!mayUse(caller, found.distribution, "change"))
    throw new ApiError(403, "forbidden", `Client ${caller.name} may not change ${found.distribution}.`);
  const channelId = found.thread?.channel ?? channelFor(deps, found.distribution);
  await asApiErrors(() => decideStaged(deps.changes, id, kind, caller.actor, channelId, input.reason));
  const status = await statusOf(deps, id);
  if (!status) throw new Error(`operation ${id} vanished after it was decided`);
  return status;
}
