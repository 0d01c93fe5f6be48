import type { WebClient } from "@slack/web-api";
import type { ApiDeps } from "../api/api-context.js";
import { ClientRates } from "../api/client-rates.js";
import { type ApprovalDeps, newRequestId } from "../approvals/approval-service.js";
import { effectivePolicy } from "../approvals/policy.js";
import type { AccessLogGateway } from "../aws/access-log-calls.js";
import type { CloudFrontGateway } from "../aws/cloudfront-gateway.js";
import type { CloudWatchGateway } from "../aws/cloudwatch-gateway.js";
import type { ChangeDeps } from "../changes/change-deps.js";
import { startApprovedChange } from "../changes/change-requests.js";
import type { CommandDeps } from "../commands/run-cdn-command.js";
import type { CdnbotConfig } from "../config/config-schema.js";
import type { Env } from "../config/env.js";
import type { DistributionDirectory } from "../directory/distribution-directory.js";
import { createDistributionCheck } from "../distributions/distribution-check.js";
import type { EnvironmentDeps } from "../environments/environment-deps.js";
import { startApprovedEnvironment } from "../environments/environment-requests.js";
import type { Logger } from "../logger.js";
import type { AccessLogDeps } from "../logs/access-log-report.js";
import { PurgeEngine } from "../purge/purge-engine.js";
import type { PurgeLifecycleDeps } from "../purge/purge-lifecycle.js";
import { startApprovedPurge } from "../purge/purge-service.js";
import { createSlackApprovalAnnouncer } from "../slack/slack-approval-announcer.js";
import { createSlackChangeAnnouncer } from "../slack/slack-change-announcer.js";
import { createSlackEnvironmentAnnouncer } from "../slack/slack-environment-announcer.js";
import { createSlackGroupLookup } from "../slack/slack-group-lookup.js";
import type { SlackPoster } from "../slack/slack-poster.js";
import { createSlackPurgeAnnouncer } from "../slack/slack-purge-announcer.js";
import { createSlackStepCompleter } from "../slack/slack-step-completer.js";
import { createSlackWatchAnnouncer } from "../slack/slack-watch-announcer.js";
import type { StepDeps } from "../steps/workflow-steps.js";
import type { RecordStore } from "../store/record-store.js";
import type { ApprovalRequest } from "../store/records.js";
import { CallPacer } from "../tracking/call-pacer.js";
import type { Exclusive } from "../tracking/exclusive.js";
import type { Scheduler } from "../tracking/scheduler.js";
import { FinishTimes } from "../tracking/status-pacing.js";
import type { WorkOwnership } from "../tracking/work-leases.js";
import { createActivityFeed, type WatchDeps } from "../watch/watch-service.js";

/**
 * With replicas, an approval request still without its message after this long lost its poster
 * (Slack calls give up well within a minute): the sweep posts it again.
 */
const REPOST_AFTER_MS = 120_000;

/** What every workflow is built on: the store, the gateways, Slack, the clock and the scheduler. */
export type Foundation = {
  env: Env;
  config: CdnbotConfig;
  /** Every distribution the bot manages: the config file's and the environments it made. */
  directory: DistributionDirectory;
  records: RecordStore;
  cloudfront: CloudFrontGateway;
  cloudwatch: CloudWatchGateway;
  accessLogs: AccessLogGateway;
  /** Posts and updates Slack messages (updates of one message coalesced). */
  poster: SlackPoster;
  /** Slack's Web API, for looking up user groups. */
  slack: WebClient;
  clock: () => number;
  logger: Logger;
  scheduler: Scheduler;
  /** Of several replicas on one store, which one holds a piece of work; unset for one process. */
  ownership?: WorkOwnership;
  /** Counting a limit and storing what it let in, alone (in this process, and across replicas). */
  exclusive: Exclusive;
};

/** The workflows, wired: what the handlers, the API and the scheduled jobs are given. */
export type Workflows = {
  watch: WatchDeps;
  approvals: ApprovalDeps;
  engine: PurgeEngine;
  changes: ChangeDeps;
  environments: EnvironmentDeps;
  /** Everything `/cdn` and the API's purges need. */
  commands: CommandDeps;
  /** Workflow Builder's steps: the same purges and changes, and waits on them. */
  steps: StepDeps;
};

type HandOver = (request: ApprovalRequest) => Promise<void>;

/**
 * Builds the workflows in the order they depend on one another. An approved request is handed to
 * the workflow of its kind through `handOvers`, filled in as each workflow is built: approvals come
 * first (every workflow asks through them), so they cannot name the workflows directly.
 */
export function buildWorkflows(f: Foundation): Workflows {
  const handOvers: Partial<Record<ApprovalRequest["payload"]["kind"], HandOver>> = {};
  const watch: WatchDeps = {
    config: f.config,
    directory: f.directory,
    records: f.records,
    cloudwatch: f.cloudwatch,
    announcer: createSlackWatchAnnouncer(f.poster, f.logger),
    clock: f.clock,
    logger: f.logger,
  };
  const activity = createActivityFeed(watch);
  const membersOf = createSlackGroupLookup(f.slack, f.clock);
  const approvals = approvalDeps(f, membersOf, activity, async (request) => {
    const handOver = handOvers[request.payload.kind];
    if (!handOver) throw new Error(`no workflow takes approved ${request.payload.kind} requests`);
    await handOver(request);
  });
  const lifecycle = {
    records: f.records,
    cloudfront: f.cloudfront,
    announcer: createSlackPurgeAnnouncer(f.poster),
    clock: f.clock,
    logger: f.logger,
    activity,
  };
  const engine = purgeEngine(f, lifecycle);
  handOvers.purge = (request) => startApprovedPurge({ ...lifecycle, engine }, request);
  // What the distribution workflows (changes, environments) share; each adds its own announcer.
  const workflow = {
    config: f.config,
    directory: f.directory,
    records: f.records,
    cloudfront: f.cloudfront,
    approvals,
    membersOf,
    clock: f.clock,
    logger: f.logger,
    newId: newRequestId,
    pollMs: f.env.CDNBOT_POLL_MS,
    activity,
    ...ownedBy(f),
  };
  const changes: ChangeDeps = {
    ...workflow,
    announcer: createSlackChangeAnnouncer(f.poster),
    cloudwatch: f.cloudwatch,
    accessLogs: f.accessLogs,
    writePacer: new CallPacer({ perSecond: f.config.changes.updatesPerMinute / 60, burst: 2 }),
    pace: statusPace(f, "changes"),
  };
  handOvers.change = (request) => startApprovedChange(changes, request);
  const environments: EnvironmentDeps = {
    ...workflow,
    announcer: createSlackEnvironmentAnnouncer(f.poster),
    exclusive: f.exclusive,
    pace: statusPace(f, "environments"),
  };
  handOvers.environment = (request) => startApprovedEnvironment(environments, request);
  const commands: CommandDeps = {
    ...lifecycle,
    distributions: createDistributionCheck(f.cloudfront, f.clock, f.logger),
    config: f.config,
    directory: f.directory,
    membersOf,
    approvals,
    engine,
    watch,
    changes,
    environments,
    poster: f.poster,
    exclusive: f.exclusive,
    accessLogs: accessLogDeps(f),
  };
  const steps: StepDeps = {
    records: f.records,
    clock: f.clock,
    logger: f.logger,
    purges: commands,
    changes,
    completer: createSlackStepCompleter(f.slack),
  };
  return { watch, approvals, engine, changes, environments, commands, steps };
}

function approvalDeps(
  f: Foundation,
  membersOf: ApprovalDeps["membersOf"],
  activity: ApprovalDeps["activity"],
  onApproved: HandOver,
): ApprovalDeps {
  const { records } = f;
  return {
    records,
    clock: f.clock,
    logger: f.logger,
    announcer: createSlackApprovalAnnouncer(f.poster),
    membersOf,
    policyFor: (alias, tenant) => {
      const d = f.directory.get(alias);
      // A key-value store's alias is never a distribution's (the config refuses both at once).
      const own = d ? f.directory.policyOf(d, tenant) : f.config.keyValueStores?.[alias]?.policy;
      return effectivePolicy(f.config.policy, own);
    },
    startedAt: f.clock(),
    ...(f.ownership ? { repostAfterMs: REPOST_AFTER_MS } : {}),
    ...(activity ? { activity } : {}),
    onApproved,
    // Whether an approved request's action exists already: a hand-over is done at most once.
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
}

function purgeEngine(f: Foundation, lifecycle: PurgeLifecycleDeps): PurgeEngine {
  return new PurgeEngine({
    ...lifecycle,
    pollMs: f.env.CDNBOT_POLL_MS,
    coalesceWindowMs: f.config.purge.coalesceWindow,
    wakeAt: (at) => f.scheduler.wakeAt(at),
    wakePollAt: (at) => f.scheduler.wakeJobAt("purge.poll", at),
    pacer: new CallPacer({
      perSecond: f.config.purge.invalidationsPerSecond,
      burst: f.config.purge.invalidationBurst,
    }),
    // CloudFront limits CreateInvalidation per AWS account: a distribution reached through a role is
    // in that role's account (an environment's is its source's).
    accountOf: (distributionId) => f.directory.accountOf(distributionId),
    statusEveryMs: f.env.CDNBOT_STATUS_EVERY_MS,
    ...ownedBy(f),
  });
}

/** Deploys are asked about at one pace, each workflow's job woken for its next status. */
function statusPace(f: Foundation, job: string) {
  return {
    everyMs: f.env.CDNBOT_STATUS_EVERY_MS,
    finishTimes: new FinishTimes(),
    wakeAt: (at: number) => f.scheduler.wakeJobAt(job, at),
  };
}

/** Of several replicas, whether this one holds a piece of work now; one process holds all. */
function ownedBy(f: Foundation): { owns?: (work: string) => Promise<boolean> } {
  const ownership = f.ownership;
  return ownership ? { owns: (work: string) => ownership.owns(work) } : {};
}

/** What the HTTP API and the MCP server answer from: the same workflows the handlers use. */
export function apiDeps(f: Foundation, w: Workflows, sleep: (ms: number) => Promise<void>): ApiDeps {
  const { config, directory, clock } = f;
  return {
    config,
    directory,
    records: f.records,
    purges: w.commands,
    changes: w.changes,
    environments: w.environments,
    status: { directory, cloudfront: f.cloudfront, clock },
    stats: { directory, cloudwatch: f.cloudwatch, clock },
    accessLogs: w.commands.accessLogs,
    policyFor: w.approvals.policyFor,
    callbackSecret: f.env.CDNBOT_CALLBACK_SECRET,
    rates: new ClientRates(),
    clock,
    sleep,
    logger: f.logger,
  };
}

function accessLogDeps(f: Foundation): AccessLogDeps {
  return {
    config: f.config,
    directory: f.directory,
    cloudfront: f.cloudfront,
    logs: f.accessLogs,
    clock: f.clock,
  };
}
