import type { MetricPoint } from "../aws/cloudwatch-gateway.js";
import { METRIC_LABEL } from "../metrics/metric-format.js";
import { sparkline } from "../metrics/sparkline.js";
import type { Watch, WatchedMetric } from "../store/records.js";
import type { ActivityEvent } from "../watch/activity-feed.js";
import { code, plainMessage, type SlackMessage } from "./format.js";

const STAGE_EMOJI: Record<ActivityEvent["stage"], string> = {
  requested: ":broom:",
  "awaiting approval": ":lock:",
  approved: ":ballot_box_with_check:",
  completed: ":white_check_mark:",
  failed: ":x:",
};

export function activityMessage(event: ActivityEvent, link: string | undefined): SlackMessage {
  const where = link ? ` <${link}|Thread>` : ` in <#${event.channelId}>`;
  const text = `${STAGE_EMOJI[event.stage]} ${event.alias}: ${event.summary} (${event.stage}, <@${event.actorUserId}>).${where}`;
  return plainMessage(text);
}

export function alertMessage(
  watch: Watch,
  metric: WatchedMetric,
  threshold: number,
  notify: { kind: "breach" | "recovery"; value: number },
  points: MetricPoint[],
): SlackMessage {
  const label = METRIC_LABEL[metric];
  const line = sparkline(points.map((p) => p.value));
  const text =
    notify.kind === "breach"
      ? `:rotating_light: Alert: ${watch.alias} (${watch.distributionId}) ${label} is ${notify.value.toFixed(2)}%, at or above ${threshold}%. ${line}`
      : `:large_green_circle: Recovered: ${watch.alias} (${watch.distributionId}) ${label} is back to ${notify.value.toFixed(2)}% (threshold ${threshold}%). ${line}`;
  return plainMessage(text);
}

export function watchListMessage(watches: readonly Watch[]): SlackMessage {
  if (watches.length === 0)
    return plainMessage("No channel is watching any distribution. `/cdn watch <distribution>` starts one.");
  const lines = watches.map(
    (w) =>
      `${code(w.alias)} → <#${w.channelId}> (5xx ≥ ${w.thresholds["5xxErrorRate"]}%, 4xx ≥ ${w.thresholds["4xxErrorRate"]}%)`,
  );
  return plainMessage(`Watches:\n${lines.join("\n")}`);
}
