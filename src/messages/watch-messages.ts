import type { MetricPoint } from "../aws/cloudwatch-metrics.js";
import { METRIC_LABEL } from "../metrics/metric-format.js";
import { sparkline } from "../metrics/sparkline.js";
import { alertStateId } from "../store/record-store.js";
import type { Watch, WatchedMetric } from "../store/records.js";
import type { ActivityEvent } from "../watch/activity-feed.js";
import {
  channelLink,
  code,
  escapeText,
  mention,
  plainMessage,
  type SlackMessage,
  slackLink,
} from "./format.js";
import { type ChartMark, lineChart } from "./native-blocks.js";

const STAGE_EMOJI: Record<ActivityEvent["stage"], string> = {
  requested: ":broom:",
  "awaiting approval": ":lock:",
  approved: ":ballot_box_with_check:",
  completed: ":white_check_mark:",
  failed: ":x:",
};

export function activityMessage(event: ActivityEvent, link: string | undefined): SlackMessage {
  const where = link ? ` ${slackLink(link, "Thread")}` : ` in ${channelLink(event.channelId)}`;
  const text = `${STAGE_EMOJI[event.stage]} ${code(event.alias)}: ${escapeText(event.summary)} (by ${mention(event.actorUserId)}).${where}`;
  return plainMessage(text);
}

export function alertMessage(
  watch: Watch,
  metric: WatchedMetric,
  threshold: number,
  notify: { kind: "breach" | "recovery"; value: number },
  points: MetricPoint[],
  marks: readonly ChartMark[] = [],
): SlackMessage {
  const label = METRIC_LABEL[metric];
  const line = sparkline(points.map((p) => p.value));
  const text =
    notify.kind === "breach"
      ? `:rotating_light: Alert: ${escapeText(watch.alias)} (${escapeText(watch.distributionId)}) ${label} is ${notify.value.toFixed(2)}%, at or above ${threshold}%. ${line}`
      : `:large_green_circle: Recovered: ${escapeText(watch.alias)} (${escapeText(watch.distributionId)}) ${label} is back to ${notify.value.toFixed(2)}% (threshold ${threshold}%). ${line}`;
  const message = plainMessage(text);
  // Natively, the metric over the readings with the threshold drawn; the sparkline stays in the text.
  const period = points.length > 1 ? points[1]!.at - points[0]!.at : 60_000;
  const chart = lineChart({
    title: `${label}, ${watch.alias}`,
    fromMs: points[0]?.at ?? 0,
    toMs: (points.at(-1)?.at ?? 0) + period,
    series: [{ name: label, points }],
    combine: "mean",
    yLabel: "% of requests",
    threshold: { name: `threshold ${threshold}%`, value: threshold },
    marks,
  });
  const withChart = (m: SlackMessage): SlackMessage =>
    chart ? { text: m.text, blocks: [m.blocks[0]!, chart, ...m.blocks.slice(1)], plainBlocks: m.blocks } : m;
  if (notify.kind !== "breach") return withChart(message);
  // One click to the access logs of the breach: the button holds the alert's id, nothing else.
  return withChart({
    text,
    blocks: [
      ...message.blocks,
      {
        type: "actions",
        elements: [
          {
            type: "button",
            action_id: ALERT_LOGS_ACTION_ID,
            text: {
              type: "plain_text",
              text: `Access logs: ${metric.startsWith("5xx") ? "5xx" : "4xx"} since the breach`,
            },
            value: alertStateId(watch.id, metric),
          },
        ],
      },
    ],
  });
}

/** The alert button that posts the breach's access logs in the alert's thread. */
export const ALERT_LOGS_ACTION_ID = "alert_access_logs";

export function watchListMessage(watches: readonly Watch[]): SlackMessage {
  if (watches.length === 0)
    return plainMessage("No channel is watching any distribution. `/cdn watch <distribution>` starts one.");
  const lines = watches.map(
    (w) =>
      `${code(w.alias)} → ${channelLink(w.channelId)} (5xx ≥ ${w.thresholds["5xxErrorRate"]}%, 4xx ≥ ${w.thresholds["4xxErrorRate"]}%)`,
  );
  return plainMessage(`Watches:\n${lines.join("\n")}`);
}

/** The first message in a newly watched channel. */
export function watchGreetingMessage(watch: Watch, setUpBy: string): SlackMessage {
  return plainMessage(
    `This channel now gets ${code(watch.alias)}'s purges and changes as they happen, and an alert when its 5xx error rate reaches ${watch.thresholds["5xxErrorRate"]}% or its 4xx error rate ${watch.thresholds["4xxErrorRate"]}% (and when it recovers). Set up by ${mention(setUpBy)}.`,
  );
}

export function watchAddedMessage(watched: { alias: string; channelId: string }): SlackMessage {
  return plainMessage(`${channelLink(watched.channelId)} is watching ${code(watched.alias)}.`);
}

export function watchRemovedMessage(watched: { alias: string; channelId: string }): SlackMessage {
  return plainMessage(`${channelLink(watched.channelId)} no longer watches ${code(watched.alias)}.`);
}
