import { describeAwsError } from "../aws/aws-errors.js";
import type { DistributionInfo, InvalidationGateway } from "../aws/cloudfront-gateway.js";
import { readDistributionStats, type StatsReport } from "../metrics/distribution-stats.js";
import type { RecordStore } from "../store/record-store.js";
import type { ApprovalRequest, AuditEntry, PurgeOperation } from "../store/records.js";
import type { WatchDeps } from "./watch-service.js";

/** What an incident channel needs to know about a distribution now; rendered at the edge. */
export type IncidentFacts = {
  alias: string;
  distributionId: string;
  at: number;
  distribution: { info: DistributionInfo } | { problem: string };
  stats: { report: StatsReport } | { problem: string };
  inFlight: PurgeOperation[];
  pending: ApprovalRequest[];
  recent: AuditEntry[];
};

const RELEVANT = /^(purge\.|approval\.|change\.|aws\.)/;

export async function gatherIncidentFacts(
  deps: WatchDeps & { cloudfront: InvalidationGateway },
  nameOrId: string,
): Promise<IncidentFacts> {
  const target = deps.directory.resolve(nameOrId);
  const [distribution, stats] = await Promise.all([
    deps.cloudfront.getDistribution(target.id).then(
      (info) => ({ info }),
      (error: unknown) => ({ problem: describeAwsError(error).explanation }),
    ),
    readDistributionStats(deps, target.id, "1h").then(
      (report) => ({ report }),
      (error: unknown) => ({ problem: error instanceof Error ? error.message : String(error) }),
    ),
  ]);
  const [purges, requests] = await Promise.all([deps.records.list("purge"), deps.records.list("approval")]);
  return {
    alias: target.alias,
    distributionId: target.id,
    at: deps.clock(),
    distribution,
    stats,
    inFlight: purges.filter(
      (o) => o.distributionId === target.id && (o.state === "requested" || o.state === "in-progress"),
    ),
    pending: requests.filter((r) => r.distributionId === target.id && r.state === "pending"),
    recent: await recentEvents(deps.records, target.id),
  };
}

/** The last five purge, change and approval events of a distribution, newest first. */
async function recentEvents(records: RecordStore, distributionId: string): Promise<AuditEntry[]> {
  const recent: AuditEntry[] = [];
  // The log is read newest first and lazily: this stops at five, however long the history.
  for (const entry of await records.audit.query({ distributionId, limit: 200 })) {
    if (RELEVANT.test(entry.type)) recent.push(entry);
    if (recent.length === 5) break;
  }
  return recent;
}
