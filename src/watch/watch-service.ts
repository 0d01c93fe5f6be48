import { randomUUID } from "node:crypto";
import { describeAwsError } from "../aws/aws-errors.js";
import type { CloudWatchGateway } from "../aws/cloudwatch-gateway.js";
import type { CdnbotConfig } from "../config/config-schema.js";
import type { DistributionDirectory } from "../directory/distribution-directory.js";
import { NotInChannelError, UserError } from "../errors.js";
import type { Logger } from "../logger.js";
import {
  alertStateId,
  ConflictError,
  type RecordKinds,
  type RecordStore,
  type RecordWrite,
} from "../store/record-store.js";
import type { Actor, AlertState, AuditRecord, Watch, WatchedMetric } from "../store/records.js";
import { retryOnConflict } from "../store/retry-on-conflict.js";
import { quote } from "../text/plain-text.js";
import type { ActivityFeed } from "./activity-feed.js";
import { activityMarks } from "./activity-marks.js";
import { evaluateAlert } from "./alert-rules.js";
import type { WatchAnnouncer } from "./watch-announcer.js";

export const DEFAULT_THRESHOLDS: Record<WatchedMetric, number> = { "5xxErrorRate": 5, "4xxErrorRate": 20 };
const WATCHED: WatchedMetric[] = ["5xxErrorRate", "4xxErrorRate"];

export type WatchDeps = {
  config: CdnbotConfig;
  directory: DistributionDirectory;
  records: RecordStore;
  cloudwatch: CloudWatchGateway;
  announcer: WatchAnnouncer;
  clock: () => number;
  logger: Logger;
};

export async function addWatch(
  deps: WatchDeps,
  input: {
    distribution: string;
    channelId: string;
    thresholds: Partial<Record<WatchedMetric, number>>;
    actor: Actor;
  },
): Promise<{ alias: string; channelId: string }> {
  const target = deps.directory.resolve(input.distribution);
  const thresholds = { ...DEFAULT_THRESHOLDS, ...input.thresholds };
  const watch: Watch = {
    version: 0,
    id: randomUUID(),
    alias: target.alias,
    distributionId: target.id,
    channelId: input.channelId,
    thresholds,
    createdBy: input.actor,
    createdAt: deps.clock(),
  };
  // A watch that cannot post is worth nothing: say so now rather than at the first alert.
  try {
    await deps.announcer.greet(watch, input.actor.userId);
  } catch (error) {
    throw error instanceof NotInChannelError ? error.because("The watch was not set up.") : error;
  }
  const audit: AuditRecord = {
    type: "watch.added",
    actor: input.actor,
    channelId: input.channelId,
    distributionId: target.id,
    summary: `Watching with 5xx ≥ ${thresholds["5xxErrorRate"]}%, 4xx ≥ ${thresholds["4xxErrorRate"]}%`,
  };
  await retryOnConflict(async () => {
    const existing = (await deps.records.list("watch")).find(
      (w) => w.distributionId === target.id && w.channelId === input.channelId,
    );
    const write: RecordWrite = existing
      ? {
          kind: "watch",
          op: "replace",
          record: { ...existing, thresholds },
          expectedVersion: existing.version,
        }
      : { kind: "watch", op: "create", record: watch };
    await deps.records.commit({ writes: [write], audit: [audit] }, deps.clock());
  });
  return { alias: target.alias, channelId: input.channelId };
}

export async function removeWatch(
  deps: WatchDeps,
  distribution: string,
  channelId: string,
  actor: Actor,
): Promise<{ alias: string; channelId: string }> {
  const target = deps.directory.resolve(distribution);
  const removed = await retryOnConflict(async () => {
    const watch = (await deps.records.list("watch")).find(
      (w) => w.distributionId === target.id && w.channelId === channelId,
    );
    if (!watch) return false;
    const states = (await deps.records.list("alert")).filter((s) => s.watchId === watch.id);
    await deps.records.commit(
      {
        writes: [
          { kind: "watch", op: "delete", id: watch.id, expectedVersion: watch.version },
          ...states.map((s) => ({
            kind: "alert" as const,
            op: "delete" as const,
            id: s.id,
            expectedVersion: s.version,
          })),
        ],
        audit: [
          { type: "watch.removed", actor, channelId, distributionId: target.id, summary: "Stopped watching" },
        ],
      },
      deps.clock(),
    );
    return true;
  });
  if (!removed)
    throw new UserError(
      `That channel is not watching ${quote(target.alias)}; \`/cdn watches\` lists the watches.`,
    );
  return { alias: target.alias, channelId };
}

export function listWatches(deps: Pick<WatchDeps, "records">): Promise<Watch[]> {
  return deps.records.list("watch");
}

export function createActivityFeed(deps: WatchDeps): ActivityFeed {
  return {
    async publish(event) {
      const watchers = (await deps.records.list("watch")).filter(
        (w) => w.distributionId === event.distributionId && w.channelId !== event.channelId,
      );
      if (watchers.length === 0) return;
      await deps.announcer.activity(watchers, event);
    },
  };
}

/**
 * Reads the watched error rates of every watched distribution (one GetMetricData each) and posts a
 * breach or a recovery where the rules say so. Alert state is stored, so a restart repeats nothing.
 */
export async function checkAlerts(deps: WatchDeps): Promise<void> {
  const settings = deps.config.alerts;
  const now = deps.clock();
  const watches = await deps.records.list("watch");
  const states = await deps.records.list("alert");
  const distributions = [...new Set(watches.map((w) => w.distributionId))];
  for (const distributionId of distributions) {
    let series: Awaited<ReturnType<CloudWatchGateway["getDistributionMetrics"]>>;
    try {
      series = await deps.cloudwatch.getDistributionMetrics(distributionId, WATCHED, {
        // CloudFront's metrics arrive a few minutes late: look back far enough to find N datapoints.
        startMs: now - (settings.minDatapoints + 10) * 60_000,
        endMs: now,
        periodSeconds: 60,
      });
    } catch (error) {
      deps.logger.warn("Could not read error rates for alerts", {
        distributionId,
        code: describeAwsError(error).code,
      });
      continue;
    }
    for (const watch of watches.filter((w) => w.distributionId === distributionId)) {
      for (const metric of WATCHED) {
        const threshold = watch.thresholds[metric] ?? DEFAULT_THRESHOLDS[metric];
        const stored = states.find((s) => s.id === alertStateId(watch.id, metric));
        await applyRule(deps, { watch, metric, threshold, stored }, series[metric] ?? [], now);
      }
    }
  }
}

async function applyRule(
  deps: WatchDeps,
  rule: { watch: Watch; metric: WatchedMetric; threshold: number; stored: RecordKinds["alert"] | undefined },
  points: { at: number; value: number }[],
  now: number,
): Promise<void> {
  const { watch, metric, threshold, stored } = rule;
  const id = alertStateId(watch.id, metric);
  const previous: AlertState = stored ?? { version: 0, watchId: watch.id, metric, state: "ok", since: now };
  const verdict = evaluateAlert(points, threshold, previous, now, deps.config.alerts);
  if (!verdict.notify && verdict.state.lastValue === previous.lastValue) return;
  const next = { ...verdict.state, id };
  try {
    await deps.records.commit(
      {
        writes: [
          stored
            ? { kind: "alert", op: "replace", record: next, expectedVersion: stored.version }
            : { kind: "alert", op: "create", record: next },
        ],
        audit: verdict.notify
          ? [
              {
                type: verdict.notify.kind === "breach" ? "alert.breach" : "alert.recovery",
                channelId: watch.channelId,
                distributionId: watch.distributionId,
                summary: `${metric} ${verdict.notify.value.toFixed(2)}% (threshold ${threshold}%)`,
              },
            ]
          : [],
      },
      now,
    );
  } catch (error) {
    // Another check (another replica) recorded this rule first: it also posts the alert, if any.
    if (error instanceof ConflictError) return;
    throw error;
  }
  if (!verdict.notify) return;
  try {
    await deps.announcer.alert(
      watch,
      metric,
      threshold,
      verdict.notify,
      points,
      points[0] ? await activityMarks(deps.records, watch.distributionId, points[0].at) : [],
    );
  } catch (error) {
    deps.logger.warn("Could not post an alert", { channel: watch.channelId, error });
  }
}
