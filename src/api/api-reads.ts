import { CHANGE_WRITE_CALLS } from "../changes/change-machine.js";
import { readKeys } from "../changes/key-value-stores.js";
import { readDistributionStatus } from "../distributions/distribution-status.js";
import { listTenants } from "../distributions/distribution-tenants.js";
import { listEnvironments } from "../environments/environment-requests.js";
import { UserError } from "../errors.js";
import { type AccessLogReport, readAccessLogs } from "../logs/access-log-report.js";
import type { LogFilter } from "../logs/access-log-summary.js";
import { parseLogFilters, parseLogWindow } from "../logs/log-query.js";
import { readDistributionStats } from "../metrics/distribution-stats.js";
import { parseWindow } from "../metrics/metric-window.js";
import { failureText } from "../workflow/failures.js";
import { type ApiCaller, distributionsFor, mayUse } from "./api-clients.js";
import { type ApiDeps, statusOf, storeFor, targetFor } from "./api-context.js";
import { ApiError } from "./api-errors.js";
import { MAX_WAIT_SECONDS, WAIT_STEP_MS } from "./api-requests.js";
import type { AccessLogQuery, AccessLogs, DistributionTenants, KeyValueKeys } from "./api-schemas.js";
import { type OperationStatus, operationStatus } from "./operation-status.js";

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
      ...(failureText(e) ? { error: failureText(e)! } : {}),
      ...(e.failure ? { errorCode: e.failure.code } : {}),
    }));
}

/** `GET /api/v1/operations/:id`. */
export async function getOperation(deps: ApiDeps, caller: ApiCaller, id: string): Promise<OperationStatus> {
  const status = await statusOf(deps, id);
  // Another client's distribution reads as missing: its ids say nothing to this one.
  // A purge or change on an environment is covered by the template the client was given.
  const template =
    status?.environment?.template ?? (status && deps.directory.get(status.distribution)?.template);
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
  // A key-value store's operations are kept under its ARN.
  const allowed = new Set([
    ...distributionsFor(caller, deps.directory).map((d) => d.id),
    ...Object.entries(deps.config.keyValueStores ?? {})
      .filter(([alias]) => mayUse(caller, alias))
      .map(([, store]) => store.arn),
  ]);
  const ids: string[] = [];
  // The audit log names every operation when it is asked for: newest first.
  for (const entry of await deps.records.audit.query({
    ...(target ? { distributionId: target.id } : {}),
    limit: query.limit * 20,
  })) {
    if (!entry.distributionId || !allowed.has(entry.distributionId)) continue;
    // Purges are named by their request, changes by their write (or the approval asked first).
    const namesChange =
      entry.type === "approval.requested" || WRITE_TYPES.has(entry.type) || entry.type.startsWith("change.");
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

/** The audit types of a change's write, whatever it writes. */
const WRITE_TYPES = new Set(CHANGE_WRITE_CALLS.map((call) => `aws.${call}`));

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

/** `GET /api/v1/distributions/:name/tenants`: a multi-tenant distribution's tenants, as CloudFront lists them. */
export async function getTenants(
  deps: ApiDeps,
  caller: ApiCaller,
  name: string,
): Promise<DistributionTenants> {
  const target = targetFor(deps, caller, name);
  try {
    const list = await listTenants(deps.changes, target.id);
    return {
      distribution: list.alias,
      id: list.distributionId,
      tenants: list.tenants.map((t) => ({
        id: t.id,
        name: t.name,
        domains: t.domains,
        enabled: t.enabled,
        status: t.status,
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
        r.payload.kind === "environment" ? r.payload.template : deps.directory.get(r.alias)?.template,
      ),
  );
  // A pending request has no purge or change yet (they take its id once approved): it is the operation.
  return open.map((approval) => operationStatus({ approval }, deps.policyFor));
}

/** `GET /api/v1/key-value-stores/:name/keys?prefix=`: a store's keys and values, as it holds them now. */
export async function getKeyValueKeys(
  deps: ApiDeps,
  caller: ApiCaller,
  name: string,
  prefix: string,
): Promise<KeyValueKeys> {
  if (!storeFor(deps, caller, name))
    throw new ApiError(404, "not_found", `There is no key-value store ${name.slice(0, 100)} in the config.`);
  try {
    const read = await readKeys(deps.changes, name, prefix);
    return {
      store: read.store,
      itemCount: read.itemCount,
      totalSizeInBytes: read.totalSizeInBytes,
      keys: read.items.map((i) => ({ key: i.key, value: i.value })),
    };
  } catch (error) {
    if (error instanceof UserError) throw new ApiError(502, "internal", error.message);
    throw error;
  }
}

/**
 * `GET /api/v1/distributions/:name/logs?window=1h&status=5xx…`: the window's access logs summed (never
 * raw lines). Client addresses are masked unless the client has the `clientIps` right.
 */
export async function getAccessLogs(
  deps: ApiDeps,
  caller: ApiCaller,
  name: string,
  query: AccessLogQuery,
): Promise<AccessLogs> {
  const target = targetFor(deps, caller, name);
  const showClientIps = caller.config.clientIps;
  let filter: LogFilter;
  try {
    parseLogWindow(query.window, deps.clock());
    const given = (["status", "path", "ip", "edge"] as const).filter((k) => query[k] !== undefined);
    filter = parseLogFilters(given.map((k) => `${k}=${query[k]}`));
  } catch (error) {
    if (error instanceof UserError)
      throw new ApiError(400, "invalid_request", error.message.replaceAll("`", ""));
    throw error;
  }
  if (query.sample !== undefined && !caller.config.rawLogLines)
    throw new ApiError(
      403,
      "forbidden",
      `Client ${caller.name} may not read raw log lines: they hold client addresses and what clients sent (api.clients.${caller.name}.rawLogLines). Ask without sample for the sums.`,
    );
  if (filter.ip !== undefined && !showClientIps)
    throw new ApiError(
      403,
      "forbidden",
      `Client ${caller.name} may not filter by client IP: client addresses are personal data (api.clients.${caller.name}.clientIps).`,
    );
  let report: AccessLogReport;
  try {
    report = await readAccessLogs(deps.accessLogs, {
      distribution: target.id,
      ...(query.window ? { window: query.window } : {}),
      filter,
      showClientIps,
      ...(query.sample !== undefined ? { sample: query.sample } : {}),
    });
  } catch (error) {
    if (error instanceof UserError) throw new ApiError(502, "internal", error.message);
    throw error;
  }
  const { summary: s } = report;
  const iso = (ms: number) => new Date(ms).toISOString();
  return {
    distribution: report.alias,
    distributionId: report.distributionId,
    window: report.window.label,
    from: iso(report.window.fromMs),
    to: iso(report.window.toMs),
    filter: report.filter,
    state: report.state,
    locations: report.locations,
    notes: report.notes,
    files: report.files,
    bytesRead: report.bytesRead,
    linesRead: s.linesRead,
    malformedLines: report.malformedLines,
    ...(report.truncatedAt !== undefined ? { truncatedAt: iso(report.truncatedAt) } : {}),
    ...(report.newestFileAt !== undefined ? { newestFileAt: iso(report.newestFileAt) } : {}),
    requests: s.requests,
    bytes: s.bytes,
    ...(s.cacheHitRatio !== undefined
      ? { cacheHitRatio: Math.round(s.cacheHitRatio * 10_000) / 10_000 }
      : {}),
    statuses: s.statuses,
    topPaths: s.topPaths,
    clientIpsMasked: report.clientIpsMasked,
    topClientIps: s.topClientIps,
    topEdges: s.topEdges,
    topUserAgents: s.topUserAgents,
    slowestPaths: s.slowestPaths.map((p) => ({ ...p, meanSeconds: Math.round(p.meanSeconds * 1000) / 1000 })),
    ...(s.sample ? { sample: s.sample } : {}),
  };
}
