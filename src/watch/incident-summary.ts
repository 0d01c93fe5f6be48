import { describeAwsError } from "../aws/aws-errors.js";
import type { InvalidationGateway } from "../aws/cloudfront-gateway.js";
import { resolveDistribution } from "../config/resolve-distribution.js";
import { code, type SlackMessage, section } from "../messages/format.js";
import { statsLines } from "../messages/stats-messages.js";
import { readDistributionStats } from "../metrics/distribution-stats.js";
import type { WatchDeps } from "./watch-service.js";

const when = (at: number) => `${new Date(at).toISOString().slice(11, 16)} UTC`;

/** One message that sums up a distribution now: state, work in flight, recent changes, error rates. */
export async function incidentSummary(
  deps: WatchDeps & { cloudfront: InvalidationGateway },
  nameOrId: string,
): Promise<SlackMessage> {
  const target = resolveDistribution(deps.config, nameOrId);
  const [dist, stats] = await Promise.all([
    deps.cloudfront.getDistribution(target.id).then(
      (d) => `*${d.status}*, ${d.enabled ? "Enabled" : "Disabled"}, ${code(d.domainName)}`,
      (error: unknown) => `unknown (${describeAwsError(error).explanation})`,
    ),
    readDistributionStats(deps, target.id, "1h").then(
      (r) =>
        r.noData
          ? ["no CloudWatch data in the last hour"]
          : statsLines(r).filter((l) => /error rate|Requests/.test(l)),
      (error: unknown) => [error instanceof Error ? error.message : String(error)],
    ),
  ]);
  const data = deps.store.data;
  const inFlight = data.operations.filter(
    (o) => o.distributionId === target.id && (o.state === "requested" || o.state === "in-progress"),
  );
  const pending = data.approvals.filter((r) => r.distributionId === target.id && r.state === "pending");
  const recent = data.audit
    .filter((e) => e.distributionId === target.id && /^(purge\.|approval\.|change\.|aws\.)/.test(e.type))
    .slice(-5)
    .reverse();
  const lines = [
    `:rotating_light: *Incident summary for ${code(target.alias)}* (${target.id}) at ${when(deps.clock())}`,
    `*State:* ${dist}`,
    `*In flight:* ${inFlight.length === 0 ? "no purges" : inFlight.map((o) => `purge of ${o.paths.length} paths by <@${o.requestedBy.userId}> (${o.invalidationId ?? "queued"})`).join("; ")}`,
    `*Waiting for approval:* ${pending.length === 0 ? "nothing" : pending.map((r) => `${r.id} by <@${r.requestedBy.userId}>`).join(", ")}`,
    `*Last changes:* ${recent.length === 0 ? "none recorded" : recent.map((e) => `${when(e.at)} ${e.type} by ${e.actor ? `<@${e.actor.userId}>` : "cdnbot"}: ${e.summary}`).join("; ")}`,
    `*Error rates, last hour:*\n${stats.map((l) => `• ${l}`).join("\n")}`,
  ];
  const text = lines.join("\n");
  return { text, blocks: [section(text)] };
}
