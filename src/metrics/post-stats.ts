import { statsMessage } from "../messages/stats-messages.js";
import type { SlackPoster } from "../slack/slack-poster.js";
import type { Actor } from "../store/records.js";
import { readDistributionStats, type StatsDeps } from "./distribution-stats.js";
import { renderStatsChart } from "./metrics-chart.js";

/** Posts a distribution's numbers in the channel and the chart in that message's thread. */
export async function postStats(
  deps: StatsDeps & { poster: SlackPoster },
  input: { distribution: string; window?: string; actor: Actor; channelId: string },
): Promise<void> {
  const report = await readDistributionStats(deps, input.distribution, input.window);
  const { ts } = await deps.poster.post(input.channelId, statsMessage(report, input.actor.userId));
  if (report.noData) return;
  await deps.poster.upload(input.channelId, ts, {
    data: renderStatsChart(report),
    filename: `${report.alias}-${report.window.label}.png`,
    title: `${report.alias} (${report.distributionId}), last ${report.window.label}`,
  });
}
