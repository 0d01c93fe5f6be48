import type { DistributionCheck } from "../distributions/distribution-check.js";
import { UserError } from "../errors.js";
import { statsMessage } from "../messages/stats-messages.js";
import { readDistributionStats, type StatsDeps } from "../metrics/distribution-stats.js";
import type { SlackPoster } from "../slack/slack-poster.js";
import type { RecordStore } from "../store/record-store.js";
import type { Actor } from "../store/records.js";
import { activityMarks } from "../watch/activity-marks.js";

/** Posts a distribution's numbers in the channel and the chart in that message's thread. */
export async function postStats(
  deps: StatsDeps & {
    poster: SlackPoster;
    distributions: Pick<DistributionCheck, "problemWith">;
    records: Pick<RecordStore, "audit">;
  },
  input: { distribution: string; window?: string; actor: Actor; channelId: string },
): Promise<void> {
  const report = await readDistributionStats(deps, input.distribution, input.window);
  if (report.noData) {
    // CloudWatch answers an unknown id with no data, just as it answers an idle distribution: ask
    // CloudFront before calling it idle. Only a missing distribution is reported; any other problem
    // (stats may run with CloudWatch rights alone) leaves the no-data answer standing.
    const problem = await deps.distributions.problemWith(report.distributionId);
    if (problem?.code === "NoSuchDistribution") {
      throw new UserError(
        `CloudWatch has no data for ${report.alias} because CloudFront has no distribution ${report.distributionId} in the bot's AWS account: check its id in the config file. Nothing was posted.`,
      );
    }
  }
  const marks = await activityMarks(deps.records, report.distributionId, report.endMs - report.window.ms);
  const { ts } = await deps.poster.post(input.channelId, statsMessage(report, input.actor.userId, marks));
  if (report.noData) return;
  // The chart renderer (a native canvas) is loaded on the first chart, not at start-up: most bots
  // draw none for hours, and it costs tens of MB.
  const { renderStatsChart } = await import("../metrics/metrics-chart.js");
  await deps.poster.upload(input.channelId, ts, {
    data: renderStatsChart(report, marks),
    filename: `${report.alias}-${report.window.label}.png`,
    title: `${report.alias} (${report.distributionId}), last ${report.window.label}`,
  });
}
