import { describeAwsError } from "../aws/aws-errors.js";
import type { InvalidationGateway } from "../aws/cloudfront-gateway.js";
import type { CdnbotConfig } from "../config/config-schema.js";
import { resolveDistribution } from "../config/resolve-distribution.js";
import { UserError } from "../errors.js";
import type { SlackMessage } from "../messages/format.js";
import {
  distributionListMessage,
  distributionStatusMessage,
  invalidationStatusMessage,
  type ListEntry,
} from "../messages/status-messages.js";
import { quote } from "../text/plain-text.js";

export type StatusDeps = { config: CdnbotConfig; cloudfront: InvalidationGateway; clock: () => number };

async function ask<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw new UserError(`I could not read ${what}: ${describeAwsError(error).explanation}`);
  }
}

export async function showDistributionStatus(deps: StatusDeps, nameOrId: string): Promise<SlackMessage> {
  const target = resolveDistribution(deps.config, nameOrId);
  const [dist, invalidations] = await Promise.all([
    ask(`distribution ${target.id}`, () => deps.cloudfront.getDistribution(target.id)),
    ask(`the invalidations of ${target.id}`, () => deps.cloudfront.listInvalidations(target.id, 10)),
  ]);
  return distributionStatusMessage(target.alias, dist, invalidations, deps.clock());
}

export async function showInvalidationStatus(
  deps: StatusDeps,
  nameOrId: string,
  invalidationId: string,
): Promise<SlackMessage> {
  const target = resolveDistribution(deps.config, nameOrId);
  if (!/^[A-Z0-9]{6,40}$/i.test(invalidationId)) {
    throw new UserError(
      `${quote(invalidationId.slice(0, 60))} does not look like an invalidation id (e.g. I2J0I21PCUYOIK).`,
    );
  }
  const inv = await ask(`invalidation ${invalidationId}`, () =>
    deps.cloudfront.getInvalidation(target.id, invalidationId.toUpperCase()),
  );
  return invalidationStatusMessage(target.alias, target.id, inv, deps.clock());
}

export async function listDistributions(deps: StatusDeps): Promise<SlackMessage> {
  const entries = await Promise.all(
    Object.entries(deps.config.distributions).map(async ([alias, d]): Promise<ListEntry> => {
      const base = { alias, id: d.id, ...(d.description ? { description: d.description } : {}) };
      try {
        return { ...base, dist: await deps.cloudfront.getDistribution(d.id) };
      } catch (error) {
        return { ...base, problem: describeAwsError(error).explanation };
      }
    }),
  );
  return distributionListMessage(entries);
}
