import { UserError } from "../errors.js";
import { maySeeClientIps, readAccessLogs } from "../logs/access-log-report.js";
import type { LogFilter } from "../logs/access-log-summary.js";
import { MAX_LOG_WINDOW_MS } from "../logs/log-query.js";
import { accessLogMessage } from "../messages/access-log-messages.js";
import type { SlackMessage } from "../messages/format.js";
import type { Actor } from "../store/records.js";
import type { CommandDeps } from "./run-cdn-command.js";

type PostDeps = Pick<CommandDeps, "accessLogs" | "poster" | "membersOf" | "config" | "directory">;

/**
 * A window of access logs summed up, in the channel (or a thread of it) for the team to see, client
 * networks masked. Whole addresses go only to the person who asked, in a reply to them alone, where
 * the config lets them see them: that reply is returned.
 */
export async function postAccessLogs(
  deps: PostDeps,
  input: {
    distribution: string;
    window?: string;
    filter: LogFilter;
    actor: Actor;
    channelId: string;
    threadTs?: string;
  },
): Promise<SlackMessage | undefined> {
  const showClientIps = await maySeeClientIps(deps, input.distribution, input.actor.userId);
  const report = await readAccessLogs(deps.accessLogs, {
    distribution: input.distribution,
    ...(input.window ? { window: input.window } : {}),
    filter: input.filter,
    showClientIps,
  });
  const message = accessLogMessage(report, input.actor.userId, deps.accessLogs.clock());
  if (showClientIps && report.summary.topClientIps.length > 0) return message;
  const { ts } = await deps.poster.post(input.channelId, message, input.threadTs);
  if (report.summary.requests === 0) return undefined;
  // The chart renderer (a native canvas) loads with the first chart, as `/cdn stats`'s does.
  const { renderAccessLogChart } = await import("../logs/access-log-chart.js");
  await deps.poster.upload(input.channelId, input.threadTs ?? ts, {
    data: renderAccessLogChart(report),
    filename: `${report.alias}-logs-${report.window.label}.png`,
    title: `${report.alias} (${report.distributionId}): requests by status, last ${report.window.label}`,
  });
  return undefined;
}

const ALERT_ID = /^[A-Za-z0-9_-]{1,64}:(5xx|4xx)ErrorRate$/;
const MINUTE = 60_000;

/**
 * An alert's "Access logs" button: the logs of its breach, from a little before it began (it is
 * confirmed `alerts.minDatapoints` minutes in, and metrics and logs both arrive minutes late) to
 * now, the errors of its kind only, in the alert's thread. The button holds the alert's id and
 * nothing else: the distribution and the breach are read from the store.
 */
export async function postAlertLogs(
  deps: PostDeps & Pick<CommandDeps, "records" | "clock">,
  input: { alertId: string; actor: Actor; channelId: string; threadTs?: string },
): Promise<SlackMessage | undefined> {
  const state = ALERT_ID.test(input.alertId) ? await deps.records.get("alert", input.alertId) : undefined;
  const watch = state ? await deps.records.get("watch", state.watchId) : undefined;
  if (!state || !watch)
    throw new UserError(
      "This button points at an alert I no longer know (its watch was removed): ask with `/cdn logs <distribution>` instead. Nothing was read.",
    );
  const from = state.since - (deps.config.alerts.minDatapoints + 15) * MINUTE;
  const span = Math.min(MAX_LOG_WINDOW_MS, Math.max(15 * MINUTE, deps.accessLogs.clock() - from));
  return postAccessLogs(deps, {
    distribution: watch.distributionId,
    window: `${Math.ceil(span / (5 * MINUTE)) * 5}m`,
    filter: { status: state.metric.startsWith("5xx") ? "5xx" : "4xx" },
    actor: input.actor,
    channelId: input.channelId,
    ...(input.threadTs ? { threadTs: input.threadTs } : {}),
  });
}
