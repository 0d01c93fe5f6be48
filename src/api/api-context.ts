import type { EffectivePolicy } from "../approvals/policy.js";
import type { ChangeDeps } from "../changes/change-deps.js";
import { keyValueStoreNamed, type NamedKeyValueStore } from "../changes/key-value-stores.js";
import type { CdnbotConfig } from "../config/config-schema.js";
import type { DistributionDirectory, ManagedDistribution } from "../directory/distribution-directory.js";
import type { StatusDeps } from "../distributions/distribution-status.js";
import type { EnvironmentDeps } from "../environments/environment-deps.js";
import type { Logger } from "../logger.js";
import type { AccessLogDeps } from "../logs/access-log-report.js";
import type { StatsDeps } from "../metrics/distribution-stats.js";
import type { PurgeServiceDeps } from "../purge/purge-service.js";
import type { RecordStore } from "../store/record-store.js";
import { type ApiCaller, mayUse } from "./api-clients.js";
import { ApiError } from "./api-errors.js";
import type { ClientRates } from "./client-rates.js";
import { findOperation, type OperationStatus, operationStatus } from "./operation-status.js";

/** What the HTTP API and the MCP server answer from: the same workflows the handlers use. */
export type ApiDeps = {
  config: CdnbotConfig;
  directory: DistributionDirectory;
  records: RecordStore;
  purges: PurgeServiceDeps;
  changes: ChangeDeps;
  environments: EnvironmentDeps;
  status: StatusDeps;
  stats: StatsDeps;
  accessLogs: AccessLogDeps;
  policyFor: (alias: string, tenant?: string) => EffectivePolicy;
  /** CDNBOT_CALLBACK_SECRET: without it, requests with a callback are refused. */
  callbackSecret: string | undefined;
  /** Each client's requests in the last minute (`requestsPerMinute`). */
  rates: ClientRates;
  clock: () => number;
  sleep: (ms: number) => Promise<void>;
  logger: Logger;
};

/**
 * The key-value store a request names, if the config has one of that alias (else undefined); a
 * client that may not use it (or not for `action`) is refused.
 */
export function storeFor(
  deps: ApiDeps,
  caller: ApiCaller,
  name: string,
  action?: "change",
): NamedKeyValueStore | undefined {
  const store = keyValueStoreNamed(deps.config, name);
  if (!store) return undefined;
  if (!mayUse(caller, store.alias))
    throw new ApiError(403, "forbidden", `Client ${caller.name} may not use key-value store ${store.alias}.`);
  if (action && !mayUse(caller, store.alias, action))
    throw new ApiError(
      403,
      "forbidden",
      `Client ${caller.name} may not ${action} (its token is read-only for that).`,
    );
  return store;
}

/** The distribution a request names, if this client may use it (for `action`, when given). */
export function targetFor(
  deps: ApiDeps,
  caller: ApiCaller,
  name: string,
  action?: "purge" | "change",
): ManagedDistribution & { address: string } {
  let target: ManagedDistribution;
  let tenant: string | undefined;
  try {
    // A tenant (`saas/acme`) is used under its distribution's rights.
    ({ distribution: target, tenant } = deps.directory.resolveTarget(name, (d) =>
      mayUse(caller, d.alias, undefined, d.template),
    ));
  } catch (error) {
    throw new ApiError(404, "not_found", (error as Error).message);
  }
  const template = target.template;
  if (!mayUse(caller, target.alias, undefined, template))
    throw new ApiError(403, "forbidden", `Client ${caller.name} may not use distribution ${target.alias}.`);
  if (action && !mayUse(caller, target.alias, action, template))
    throw new ApiError(
      403,
      "forbidden",
      `Client ${caller.name} may not ${action} (its token is read-only for that).`,
    );
  // How the request names it from here on: the alias, or `<alias>/<tenant>` for one tenant.
  return { ...target, address: tenant ? `${target.alias}/${tenant}` : target.alias };
}

/** An operation as the API shows it, or undefined when there is none of that id. */
export async function statusOf(deps: ApiDeps, id: string): Promise<OperationStatus | undefined> {
  const found = await findOperation(deps.records, id);
  return found ? operationStatus(found, deps.policyFor) : undefined;
}
