import { randomUUID } from "node:crypto";
import { App, LogLevel } from "@slack/bolt";
import { register as registerApprovalActions } from "../handlers/approval-actions.js";
import { register as registerCdnCommand } from "../handlers/cdn-command.js";
import { type ApprovalDeps, newRequestId, sweepApprovals } from "./approvals/approval-service.js";
import { effectivePolicy } from "./approvals/policy.js";
import type { CloudFrontGateway } from "./aws/cloudfront-gateway.js";
import type { CloudWatchGateway } from "./aws/cloudwatch-gateway.js";
import { type ChangeDeps, startApprovedChange, trackChanges } from "./changes/change-service.js";
import type { CommandDeps } from "./commands/run-cdn-command.js";
import type { CdnbotConfig } from "./config/config-schema.js";
import type { Env } from "./config/env.js";
import type { Logger } from "./logger.js";
import { PurgeEngine } from "./purge/purge-engine.js";
import { startApprovedPurge } from "./purge/purge-service.js";
import { createSlackApprovalAnnouncer } from "./slack/slack-approval-announcer.js";
import { createSlackChangeAnnouncer } from "./slack/slack-change-announcer.js";
import { createSlackGroupLookup } from "./slack/slack-group-lookup.js";
import { createSlackPoster } from "./slack/slack-poster.js";
import { createSlackPurgeAnnouncer } from "./slack/slack-purge-announcer.js";
import { coalesceUpdates } from "./slack/update-coalescer.js";
import type { StateStore } from "./store/state-store.js";
import { PurgeTracker } from "./tracking/purge-tracker.js";
import { checkAlerts, createActivityFeed, type WatchDeps } from "./watch/watch-service.js";

export type AppDeps = {
  env: Env;
  config: CdnbotConfig;
  store: StateStore;
  cloudfront: CloudFrontGateway;
  cloudwatch: CloudWatchGateway;
  logger: Logger;
  clock?: () => number;
  newId?: () => string;
  sleep?: (ms: number) => Promise<void>;
};

export type Cdnbot = { app: App; tracker: PurgeTracker; start(): Promise<void>; stop(): Promise<void> };

const BOLT_LOG_LEVEL = {
  debug: LogLevel.DEBUG,
  info: LogLevel.INFO,
  warn: LogLevel.WARN,
  error: LogLevel.ERROR,
};

export const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

/** The composition root: wires Slack, AWS gateways, the store and the tracker together. */
export function createCdnbot(deps: AppDeps): Cdnbot {
  const { env, logger } = deps;
  const app = new App({
    token: env.SLACK_BOT_TOKEN,
    signingSecret: env.SLACK_SIGNING_SECRET,
    logLevel: BOLT_LOG_LEVEL[env.CDNBOT_LOG_LEVEL],
    ...(env.SLACK_API_URL ? { clientOptions: { slackApiUrl: env.SLACK_API_URL } } : {}),
  });
  // Status changes of one message within a quarter second become one chat.update.
  const poster = coalesceUpdates(createSlackPoster(app.client), 250);
  const clock = deps.clock ?? Date.now;
  const watch: WatchDeps = {
    config: deps.config,
    store: deps.store,
    cloudwatch: deps.cloudwatch,
    poster,
    clock,
    logger,
  };
  const lifecycle = {
    store: deps.store,
    cloudfront: deps.cloudfront,
    announcer: createSlackPurgeAnnouncer(poster),
    clock,
    logger,
    activity: createActivityFeed(watch),
  };
  const membersOf = createSlackGroupLookup(app.client, lifecycle.clock);
  const approvals: ApprovalDeps = {
    store: deps.store,
    clock: lifecycle.clock,
    logger,
    announcer: createSlackApprovalAnnouncer(poster),
    membersOf,
    policyFor: (alias) => effectivePolicy(deps.config, alias),
    startedAt: clock(),
    activity: lifecycle.activity,
    execute: (request) =>
      request.payload.kind === "purge"
        ? startApprovedPurge({ ...lifecycle, engine }, request)
        : startApprovedChange(changes, request),
  };
  const changes: ChangeDeps = {
    config: deps.config,
    store: deps.store,
    cloudfront: deps.cloudfront,
    announcer: createSlackChangeAnnouncer(poster),
    approvals,
    membersOf,
    clock,
    logger,
    newId: newRequestId,
    pollMs: env.CDNBOT_POLL_MS,
    activity: lifecycle.activity,
  };
  const tracker = new PurgeTracker({ pollMs: env.CDNBOT_POLL_MS, sleep: deps.sleep ?? defaultSleep, logger });
  const engine = new PurgeEngine({
    ...lifecycle,
    pollMs: env.CDNBOT_POLL_MS,
    coalesceWindowMs: deps.config.purge.coalesceWindow,
    wakeAt: (at) => tracker.wakeAt(at),
  });
  tracker.addJob(() => engine.tick());
  tracker.addJob(() => sweepApprovals(approvals));
  tracker.addJob(() => trackChanges(changes));
  let nextAlertCheck = 0;
  tracker.addJob(async () => {
    if (clock() < nextAlertCheck) return;
    nextAlertCheck = clock() + deps.config.alerts.checkEvery;
    await checkAlerts(watch);
  });
  const commandDeps: CommandDeps = {
    ...lifecycle,
    config: deps.config,
    newId: deps.newId ?? (() => randomUUID()),
    membersOf,
    approvals,
    engine,
    watch,
    changes,
  };
  registerCdnCommand(app, commandDeps);
  registerApprovalActions(app, approvals);
  app.error(async (error) => {
    logger.error("Unhandled error in a Slack listener", { error });
  });

  return {
    app,
    tracker,
    async start() {
      await app.start(env.PORT);
      tracker.start();
    },
    async stop() {
      await tracker.stop();
      await app.stop();
      await deps.store.flush();
    },
  };
}
