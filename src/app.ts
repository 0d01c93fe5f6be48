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
import { register as registerAlertActions } from "../handlers/alert-actions.js";
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
import { register as registerWorkflowSteps } from "../handlers/workflow-steps.js";
import type { ApiDeps } from "./api/api-context.js";
import type { AccessLogGateway } from "./aws/access-log-calls.js";
import type { CloudFrontGateway } from "./aws/cloudfront-gateway.js";
import type { CloudWatchGateway } from "./aws/cloudwatch-gateway.js";
import { scheduleJobs } from "./composition/jobs.js";
import { apiDeps, buildWorkflows, type Foundation, type Workflows } from "./composition/workflows.js";
import type { CdnbotConfig } from "./config/config-schema.js";
import type { Env } from "./config/env.js";
import type { DistributionDirectory } from "./directory/distribution-directory.js";
import { describeSlackStartupFailure, describeSocketModeFailure } from "./doctor/slack-startup.js";
import { syncDirectory } from "./environments/environment-registry.js";
import { StartupError } from "./errors.js";
import { Readiness } from "./health/readiness.js";
import { boltLogger, type Logger } from "./logger.js";
import { createReplayGuard } from "./requests/replay-guard.js";
import { NativeBlocks } from "./slack/native-blocks.js";
import { createSlackPoster } from "./slack/slack-poster.js";
import { coalesceUpdates } from "./slack/update-coalescer.js";
import type { BotStore } from "./store/bot-store.js";
import { acrossReplicas, inProcess } from "./tracking/exclusive.js";
import { Scheduler } from "./tracking/scheduler.js";
import { leaseOwnership } from "./tracking/work-leases.js";

export type AppDeps = {
  env: Env;
  config: CdnbotConfig;
  /** The bot's distributions; the AWS gateways find each one's role in the same directory. */
  directory: DistributionDirectory;
  store: BotStore;
  cloudfront: CloudFrontGateway;
  cloudwatch: CloudWatchGateway;
  accessLogs: AccessLogGateway;
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

export const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

/** How long a stop waits for the jobs' runs in progress (SIGTERM must end within 10 s). */
const STOP_GRACE_MS = 4_000;

/**
 * The composition root: Slack (Bolt, its receiver, the routes beside it), the store, the scheduler,
 * the workflows built on them (`composition/workflows.ts`) and their jobs (`composition/jobs.ts`).
 */
/** Slack's side: the replay guard first (a repeated request is dropped before any listener sees it), then each surface. */
function registerListeners(app: App, foundation: Foundation, workflows: Workflows): void {
  const { records, clock, logger, poster } = foundation;
  registerRequestGuards(app, { replays: createReplayGuard(records, clock), logger });
  registerCdnCommand(app, workflows.commands);
  registerAlertActions(app, workflows.commands);
  registerWorkflowSteps(app, workflows.steps);
  const home = { records, approvals: workflows.approvals, poster, clock, logger };
  registerAppHome(app, home);
  registerApprovalActions(app, workflows.approvals, (client, viewer, notice) =>
    publishHome(home, client, viewer, notice),
  );
  app.error(async (error) => {
    logger.error("Unhandled error in a Slack listener", { error });
  });
}

export function createCdnbot(deps: AppDeps): Cdnbot {
  const { env, logger, config } = deps;
  const clock = deps.clock ?? Date.now;
  // Bolt's Logger types its level with its own enum; ours takes the same strings.
  const bolt = boltLogger(logger, env.CDNBOT_LOG_LEVEL) as unknown as BoltLogger;
  // The config was parsed and the store opened before the app is built: both are ready by now.
  const readiness = new Readiness();
  readiness.record("config", { ok: true, at: clock() });
  readiness.record("store", { ok: true, at: clock() });
  const scheduler = new Scheduler({
    pollMs: env.CDNBOT_POLL_MS,
    sleep: deps.sleep ?? defaultSleep,
    clock,
    logger,
  });
  // The routes beside Slack's are made before the app whose client the API posts with: they read
  // the API's deps once a request comes, when everything is built.
  let api: ApiDeps | undefined;
  const routes = [
    ...healthRoutes(readiness, () => scheduler.health()),
    ...apiRoutes(() => api!),
    ...mcpRoutes(() => api!),
  ];
  const app = new App({
    token: env.SLACK_BOT_TOKEN,
    receiver: createReceiver(env, bolt, routes, clock, logger),
    logger: bolt,
    // The token is checked in start(), where a refusal becomes a sentence rather than a stack trace.
    deferInitialization: true,
    logLevel: BOLT_LOG_LEVEL[env.CDNBOT_LOG_LEVEL],
    clientOptions: slackClientOptions(env),
  });
  const records = deps.store.records;
  // Of several replicas on one store, the one holding a distribution's lease sends and polls it.
  const replica = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const ownership = deps.store.shared ? leaseOwnership(records, replica, clock) : undefined;
  const foundation: Foundation = {
    env,
    config,
    directory: deps.directory,
    records,
    cloudfront: deps.cloudfront,
    cloudwatch: deps.cloudwatch,
    accessLogs: deps.accessLogs,
    // Status changes of one message within a quarter second become one chat.update.
    poster: coalesceUpdates(
      createSlackPoster(app.client, new NativeBlocks(env.CDNBOT_NATIVE_BLOCKS !== "off", logger)),
      250,
    ),
    slack: app.client,
    clock,
    logger,
    scheduler,
    ...(ownership ? { ownership } : {}),
    // Counting a limit and storing what it let in happen alone: in this process, and across replicas.
    exclusive: deps.store.shared ? acrossReplicas(records, replica, clock) : inProcess(),
  };
  const workflows = buildWorkflows(foundation);
  const { engine, commands } = workflows;
  scheduleJobs(foundation, workflows, {
    readiness,
    slackAnswers: () => app.client.auth.test().then(() => undefined),
    store: deps.store,
  });
  api = apiDeps(foundation, workflows, deps.sleep ?? defaultSleep);
  registerListeners(app, foundation, workflows);

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
      syncDirectory(deps.directory, await records.list("environment"));
      try {
        await app.start(env.PORT);
      } catch (error) {
        if (env.SLACK_APP_TOKEN && !(error as NodeJS.ErrnoException).syscall)
          throw describeSocketModeFailure(error, env.SLACK_API_URL ?? "https://slack.com/api/");
        throw describeListenFailure(error, env.PORT);
      }
      scheduler.start();
      // A wrong id or refused credentials show in the log now, not at the first purge; keep serving.
      void commands.distributions.checkAll(deps.directory.list());
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
