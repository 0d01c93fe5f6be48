import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import {
  App,
  type Logger as BoltLogger,
  type CustomRoute,
  HTTPReceiver,
  LogLevel,
  SocketModeReceiver,
  type SocketModeReceiverOptions,
} from "@slack/bolt";
import { apiRoutes } from "../handlers/api.js";
import { publishHome, register as registerAppHome } from "../handlers/app-home.js";
import { register as registerApprovalActions } from "../handlers/approval-actions.js";
import { register as registerCdnCommand } from "../handlers/cdn-command.js";
import { healthRoutes } from "../handlers/health.js";
import { mcpRoutes } from "../handlers/mcp.js";
import {
  receivedAt,
  refuseFutureTimestamps,
  register as registerRequestGuards,
} from "../handlers/request-guards.js";
import type { ApiDeps } from "./api/api-service.js";
import { deliverCallbacks } from "./api/callbacks.js";
import { ClientRates } from "./api/client-rates.js";
import { type ApprovalDeps, newRequestId, sweepApprovals } from "./approvals/approval-service.js";
import { effectivePolicy } from "./approvals/policy.js";
import type { CloudFrontGateway } from "./aws/cloudfront-gateway.js";
import type { CloudWatchGateway } from "./aws/cloudwatch-gateway.js";
import type { ChangeDeps } from "./changes/change-deps.js";
import { startApprovedChange } from "./changes/change-requests.js";
import { trackChanges } from "./changes/deploy-tracker.js";
import type { CommandDeps } from "./commands/run-cdn-command.js";
import type { CdnbotConfig } from "./config/config-schema.js";
import type { Env } from "./config/env.js";
import { createDistributionCheck } from "./distributions/distribution-check.js";
import { describeSlackStartupFailure, describeSocketModeFailure } from "./doctor/slack-startup.js";
import type { EnvironmentDeps } from "./environments/environment-deps.js";
import { createEnvironmentRegistry } from "./environments/environment-registry.js";
import { startApprovedEnvironment } from "./environments/environment-requests.js";
import { trackEnvironments } from "./environments/environment-runner.js";
import { StartupError } from "./errors.js";
import { checkDependencies } from "./health/dependency-checks.js";
import { Readiness } from "./health/readiness.js";
import { boltLogger, type Logger } from "./logger.js";
import { PurgeEngine } from "./purge/purge-engine.js";
import { resumeReceivedPurges, startApprovedPurge } from "./purge/purge-service.js";
import { createReplayGuard } from "./requests/replay-guard.js";
import { createSlackApprovalAnnouncer } from "./slack/slack-approval-announcer.js";
import { createSlackChangeAnnouncer } from "./slack/slack-change-announcer.js";
import { createSlackEnvironmentAnnouncer } from "./slack/slack-environment-announcer.js";
import { createSlackGroupLookup } from "./slack/slack-group-lookup.js";
import { createSlackPoster } from "./slack/slack-poster.js";
import { createSlackPurgeAnnouncer } from "./slack/slack-purge-announcer.js";
import { createSlackWatchAnnouncer } from "./slack/slack-watch-announcer.js";
import { coalesceUpdates } from "./slack/update-coalescer.js";
import type { BotStore } from "./store/bot-store.js";
import { CallPacer } from "./tracking/call-pacer.js";
import { acrossReplicas, inProcess } from "./tracking/exclusive.js";
import { type JobHealth, Scheduler } from "./tracking/scheduler.js";
import { FinishTimes } from "./tracking/status-pacing.js";
import { leaseOwnership, WORK_LEASE_MS } from "./tracking/work-leases.js";
import { checkAlerts, createActivityFeed, type WatchDeps } from "./watch/watch-service.js";

export type AppDeps = {
  env: Env;
  config: CdnbotConfig;
  store: BotStore;
  cloudfront: CloudFrontGateway;
  cloudwatch: CloudWatchGateway;
  logger: Logger;
  clock?: () => number;
  sleep?: (ms: number) => Promise<void>;
};

export type Cdnbot = { app: App; scheduler: Scheduler; start(): Promise<void>; stop(): Promise<void> };

const BOLT_LOG_LEVEL = {
  debug: LogLevel.DEBUG,
  info: LogLevel.INFO,
  warn: LogLevel.WARN,
  error: LogLevel.ERROR,
};

/**
 * Every call to Slack is bounded: the Web API and response_url replies alike. Failed calls are retried
 * a few times within a minute, not Slack's default of ten times over half an hour, so no loop waits
 * long on Slack; rate limits (429) are still waited out as Slack asks.
 */
function slackClientOptions(env: Env) {
  const timeout = env.CDNBOT_SLACK_TIMEOUT_MS;
  return {
    timeout,
    retryConfig: { retries: 2, factor: 2, minTimeout: 500, maxTimeout: 5_000 },
    fetch: (input: string | URL | Request, init?: RequestInit) =>
      fetch(input, { ...init, signal: init?.signal ?? AbortSignal.timeout(timeout) }),
    ...(env.SLACK_API_URL ? { slackApiUrl: env.SLACK_API_URL } : {}),
  };
}

/**
 * Socket Mode when an app-level token is set: Slack delivers over a WebSocket the bot opens, so it
 * needs no public URL and no signing secret; the health routes get a small HTTP server on PORT.
 * Otherwise HTTP mode: Slack posts signed requests to PORT, and future-dated ones are refused.
 */
function createReceiver(
  env: Env,
  bolt: BoltLogger,
  customRoutes: CustomRoute[],
  clock: () => number,
  logger: Logger,
): HTTPReceiver | SocketModeReceiver {
  if (env.SLACK_APP_TOKEN) {
    return new SocketModeReceiver({
      appToken: env.SLACK_APP_TOKEN,
      logger: bolt,
      logLevel: BOLT_LOG_LEVEL[env.CDNBOT_LOG_LEVEL],
      customRoutes,
      // Bolt hands installerOptions.clientOptions to the Socket Mode client: SLACK_API_URL and the
      // timeouts apply to apps.connections.open too. The port is the health routes' server.
      installerOptions: {
        port: env.PORT,
        clientOptions: slackClientOptions(env),
      } as SocketModeReceiverOptions["installerOptions"],
    });
  }
  const receiver = new HTTPReceiver({
    // Required by the env schema whenever SLACK_APP_TOKEN is not set.
    signingSecret: env.SLACK_SIGNING_SECRET ?? "",
    logger: bolt,
    logLevel: BOLT_LOG_LEVEL[env.CDNBOT_LOG_LEVEL],
    customRoutes,
    // When the request reached the process: the ack's deadline counts from here, not from when
    // Bolt has read and verified the body.
    customPropertiesExtractor: (req) => ({ receivedAt: receivedAt(req) }),
  });
  receiver.requestListener = refuseFutureTimestamps(receiver.requestListener, clock, logger);
  return receiver;
}

function describeListenFailure(error: unknown, port: number): Error {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "EADDRINUSE")
    return new StartupError(`Port ${port} is already in use: stop what uses it, or set PORT to a free port.`);
  if (code === "EACCES")
    return new StartupError(`The bot may not listen on port ${port}: set PORT to a port above 1023.`);
  return error instanceof Error ? error : new Error(String(error));
}

/**
 * With replicas, an approval request still without its message after this long lost its poster
 * (Slack calls give up well within a minute): the sweep posts it again.
 */
const REPOST_AFTER_MS = 120_000;
/** With replicas, how often each looks for sends and change writes another replica took in. */
const SHARED_HANDOFF_MS = 2_000;
/** How often finished records are moved out of the live set. */
const SETTLE_EVERY_MS = 60_000;

export const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

/** The composition root: wires Slack, AWS gateways, the store and the scheduler together. */
/** How long a stop waits for the jobs' runs in progress (SIGTERM must end within 10 s). */
const STOP_GRACE_MS = 4_000;

export function createCdnbot(deps: AppDeps): Cdnbot {
  const { env, logger } = deps;
  const clock = deps.clock ?? Date.now;
  // Bolt's Logger types its level with its own enum; ours takes the same strings.
  const bolt = boltLogger(logger, env.CDNBOT_LOG_LEVEL) as unknown as BoltLogger;
  // The config was parsed and the store opened before the app is built: both are ready by now.
  const readiness = new Readiness();
  readiness.record("config", { ok: true, at: clock() });
  readiness.record("store", { ok: true, at: clock() });
  let api: ApiDeps | undefined;
  let jobsHealth: () => JobHealth[] = () => [];
  const receiver = createReceiver(
    env,
    bolt,
    [...healthRoutes(readiness, () => jobsHealth()), ...apiRoutes(() => api!), ...mcpRoutes(() => api!)],
    clock,
    logger,
  );
  const app = new App({
    token: env.SLACK_BOT_TOKEN,
    receiver,
    logger: bolt,
    // The token is checked in start(), where a refusal becomes a sentence rather than a stack trace.
    deferInitialization: true,
    logLevel: BOLT_LOG_LEVEL[env.CDNBOT_LOG_LEVEL],
    clientOptions: slackClientOptions(env),
  });
  // Status changes of one message within a quarter second become one chat.update.
  const poster = coalesceUpdates(createSlackPoster(app.client), 250);
  // The workflows' records (lowdb, or DynamoDB shared by several replicas).
  const records = deps.store.records;
  // Of several replicas on one store, the one holding a distribution's lease sends and polls it.
  const replica = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const ownership = deps.store.shared ? leaseOwnership(records, replica, clock) : undefined;
  // Counting a limit and storing what it let in happen alone: in this process, and across replicas.
  const exclusive = deps.store.shared ? acrossReplicas(records, replica, clock) : inProcess();
  const watch: WatchDeps = {
    config: deps.config,
    records,
    cloudwatch: deps.cloudwatch,
    announcer: createSlackWatchAnnouncer(poster, logger),
    clock,
    logger,
  };
  const lifecycle = {
    records,
    cloudfront: deps.cloudfront,
    announcer: createSlackPurgeAnnouncer(poster),
    clock,
    logger,
    activity: createActivityFeed(watch),
  };
  const membersOf = createSlackGroupLookup(app.client, lifecycle.clock);
  const distributions = createDistributionCheck(deps.cloudfront, clock, logger);
  const approvals: ApprovalDeps = {
    records,
    clock: lifecycle.clock,
    logger,
    announcer: createSlackApprovalAnnouncer(poster),
    membersOf,
    policyFor: (alias) => effectivePolicy(deps.config, alias),
    startedAt: clock(),
    ...(ownership ? { repostAfterMs: REPOST_AFTER_MS } : {}),
    activity: lifecycle.activity,
    onApproved: (request) =>
      request.payload.kind === "purge"
        ? startApprovedPurge({ ...lifecycle, engine }, request)
        : request.payload.kind === "environment"
          ? startApprovedEnvironment(environments, request)
          : startApprovedChange(changes, request),
    handedOver: async (request) => {
      const payload = request.payload;
      if (payload.kind === "purge") return (await records.get("purge", request.id)) !== undefined;
      if (payload.kind === "change") return (await records.get("change", request.id)) !== undefined;
      const env = await records.get("environment", payload.environmentId);
      // A delete is handed over once the environment names it (or the environment is gone).
      return payload.action === "create"
        ? env !== undefined
        : env === undefined || env.deletion?.id === request.id;
    },
  };
  // What the distribution workflows (changes, environments) share; each adds its own announcer.
  const workflow = {
    config: deps.config,
    records,
    cloudfront: deps.cloudfront,
    approvals,
    membersOf,
    clock,
    logger,
    newId: newRequestId,
    pollMs: env.CDNBOT_POLL_MS,
    activity: lifecycle.activity,
    ...(ownership ? { owns: (work: string) => ownership.owns(work) } : {}),
  };
  // Deploys and invalidations are asked about at one pace, each workflow woken for its next status.
  const statusEveryMs = env.CDNBOT_STATUS_EVERY_MS;
  const changes: ChangeDeps = {
    ...workflow,
    announcer: createSlackChangeAnnouncer(poster),
    writePacer: new CallPacer({ perSecond: deps.config.changes.updatesPerMinute / 60, burst: 2 }),
    pace: {
      everyMs: statusEveryMs,
      finishTimes: new FinishTimes(),
      wakeAt: (at) => scheduler.wakeJobAt("changes", at),
    },
  };
  const registry = createEnvironmentRegistry(deps.config);
  const environments: EnvironmentDeps = {
    ...workflow,
    announcer: createSlackEnvironmentAnnouncer(poster),
    registry,
    exclusive,
    pace: {
      everyMs: statusEveryMs,
      finishTimes: new FinishTimes(),
      wakeAt: (at) => scheduler.wakeJobAt("environments", at),
    },
  };
  const scheduler = new Scheduler({
    pollMs: env.CDNBOT_POLL_MS,
    sleep: deps.sleep ?? defaultSleep,
    clock,
    logger,
  });
  jobsHealth = () => scheduler.health();
  // CloudFront limits CreateInvalidation per AWS account: a distribution reached through a role is
  // in that role's account (an environment's is its template's, through the registry).
  const accountOfDistribution = (distributionId: string) => {
    const d = Object.values(deps.config.distributions).find((x) => x.id === distributionId);
    return d?.roleArn?.split(":")[4] ?? "own";
  };
  const engine = new PurgeEngine({
    ...lifecycle,
    pollMs: env.CDNBOT_POLL_MS,
    coalesceWindowMs: deps.config.purge.coalesceWindow,
    wakeAt: (at) => scheduler.wakeAt(at),
    wakePollAt: (at) => scheduler.wakeJobAt("purge.poll", at),
    pacer: new CallPacer({
      perSecond: deps.config.purge.invalidationsPerSecond,
      burst: deps.config.purge.invalidationBurst,
    }),
    accountOf: accountOfDistribution,
    statusEveryMs,
    ...(ownership ? { owns: (work: string) => ownership.owns(work) } : {}),
  });
  // Sending and polling are separate jobs: a poll stuck on a slow CloudFront never holds up a send.
  // Of several replicas, the one holding a distribution's lease may not be the one a purge or a
  // click reached, and cannot be woken by it: with a shared store, sends and change writes are also
  // looked for every few seconds, so they wait no longer than with one process.
  const handOff = ownership ? { tick: SHARED_HANDOFF_MS } : {};
  const startedAt = clock();
  // Purges acked but never carried out (the bot stopped in between) go first, then what is due.
  scheduler.addJob(
    "purge.send",
    async () => {
      await resumeReceivedPurges(commandDeps, startedAt);
      await engine.sendDue();
    },
    handOff,
  );
  scheduler.addJob("purge.poll", () => engine.pollInFlight());
  // Of several replicas, one sweeps the approvals and one reads CloudWatch for the alerts, each
  // under its lease; the alerts' lease outlasts the gap between checks, so it stays with its holder.
  const alertsEvery = deps.config.alerts.checkEvery;
  const ifOwner = (work: string, job: () => Promise<void>, leaseMs?: number) => async () => {
    if (!ownership || (await ownership.owns(work, leaseMs))) await job();
  };
  scheduler.addJob(
    "approvals",
    ifOwner("approvals", () => sweepApprovals(approvals)),
  );
  scheduler.addJob("changes", () => trackChanges(changes), handOff);
  scheduler.addJob("environments", () => trackEnvironments(environments), handOff);
  // Finished operations asked for through the API with a callback URL are reported there.
  scheduler.addJob(
    "callbacks",
    ifOwner("callbacks", () =>
      deliverCallbacks({
        records,
        policyFor: approvals.policyFor,
        secret: env.CDNBOT_CALLBACK_SECRET,
        clock,
        logger,
        retryBaseMs: env.CDNBOT_POLL_MS,
      }),
    ),
  );
  scheduler.addJob(
    "alerts",
    ifOwner("alerts", () => checkAlerts(watch), alertsEvery + WORK_LEASE_MS),
    { every: alertsEvery },
  );
  // Slack and AWS are asked now and then whether they answer, for /readyz.
  scheduler.addJob(
    "health",
    () =>
      checkDependencies({
        readiness,
        clock,
        logger,
        slack: () => app.client.auth.test().then(() => undefined),
        aws: () =>
          deps.cloudfront
            .getDistribution(Object.values(deps.config.distributions)[0]!.id)
            .then(() => undefined),
      }),
    { every: env.CDNBOT_HEALTH_CHECK_MS },
  );
  // Finished work leaves the live state once a minute, so each update writes only what is live; of
  // several replicas, one does it (each move is conditional, so two would only read twice).
  scheduler.addJob(
    "history",
    ifOwner(
      "history",
      async () => {
        const moved = await deps.store.settle(clock());
        if (moved > 0) logger.debug("Finished records archived", { records: moved });
      },
      SETTLE_EVERY_MS + WORK_LEASE_MS,
    ),
    { every: SETTLE_EVERY_MS },
  );
  const commandDeps: CommandDeps = {
    ...lifecycle,
    distributions,
    config: deps.config,
    membersOf,
    approvals,
    engine,
    watch,
    changes,
    environments,
    poster,
    exclusive,
  };
  api = {
    config: deps.config,
    records,
    purges: commandDeps,
    changes,
    environments,
    status: { config: deps.config, cloudfront: deps.cloudfront, clock },
    stats: { config: deps.config, cloudwatch: deps.cloudwatch, clock },
    policyFor: approvals.policyFor,
    callbackSecret: env.CDNBOT_CALLBACK_SECRET,
    rates: new ClientRates(),
    clock,
    sleep: deps.sleep ?? defaultSleep,
    logger,
  };
  // Registered first: a repeated request is dropped before any listener sees it.
  registerRequestGuards(app, { replays: createReplayGuard(records, clock), logger });
  registerCdnCommand(app, commandDeps);
  const home = { records, approvals, poster, clock, logger };
  registerAppHome(app, home);
  registerApprovalActions(app, approvals, (client, viewer, notice) =>
    publishHome(home, client, viewer, notice),
  );
  app.error(async (error) => {
    logger.error("Unhandled error in a Slack listener", { error });
  });

  return {
    app,
    scheduler,
    async start() {
      try {
        await app.init();
      } catch (error) {
        throw describeSlackStartupFailure(error, env.SLACK_API_URL ?? "https://slack.com/api/");
      }
      // The environments this bot made are among its distributions from the first request on.
      registry.sync(await records.list("environment"));
      try {
        await app.start(env.PORT);
      } catch (error) {
        if (env.SLACK_APP_TOKEN && !(error as NodeJS.ErrnoException).syscall)
          throw describeSocketModeFailure(error, env.SLACK_API_URL ?? "https://slack.com/api/");
        throw describeListenFailure(error, env.PORT);
      }
      scheduler.start();
      // A wrong id or refused credentials show in the log now, not at the first purge; keep serving.
      void distributions.checkAll(deps.config);
    },
    /**
     * SIGTERM: take no new requests, let the jobs finish the step they are in, save what is queued,
     * and go. Work in flight stays in the store for the next start to resume.
     */
    async stop() {
      engine.halt();
      await app.stop();
      // A job stuck on AWS is abandoned after a few seconds: its work is in the store for the next start.
      await scheduler.stop(STOP_GRACE_MS);
      // The other replicas take this one's distributions at once rather than after the lease lapses.
      await ownership?.releaseAll();
      await deps.store.flush();
    },
  };
}
