import { deliverCallbacks } from "../api/callbacks.js";
import { sweepApprovals } from "../approvals/approval-service.js";
import { sweepReviews } from "../approvals/break-glass.js";
import { trackChanges } from "../changes/deploy-tracker.js";
import { trackEnvironments } from "../environments/environment-runner.js";
import { checkDependencies } from "../health/dependency-checks.js";
import type { Readiness } from "../health/readiness.js";
import { resumeReceivedPurges } from "../purge/purge-service.js";
import { sweepSteps } from "../steps/workflow-steps.js";
import type { BotStore } from "../store/bot-store.js";
import { WORK_LEASE_MS } from "../tracking/work-leases.js";
import { checkAlerts } from "../watch/watch-service.js";
import type { Foundation, Workflows } from "./workflows.js";

/** With replicas, how often each looks for sends and change writes another replica took in. */
const SHARED_HANDOFF_MS = 2_000;
/** How often Workflow Builder's steps are carried on. */
const STEPS_EVERY_MS = 2_000;
/** How often finished records are moved out of the live set. */
const SETTLE_EVERY_MS = 60_000;

/** What the jobs need beyond the workflows: readiness to record, Slack to ask, the store to settle. */
export type JobNeeds = {
  readiness: Readiness;
  /** Whether Slack answers (`auth.test`). */
  slackAnswers: () => Promise<void>;
  store: BotStore;
};

/**
 * The scheduled jobs, each on its own loop (a slow call in one never holds up another). Of several
 * replicas, the holder of a job's lease runs it; work already split by distribution or environment
 * (sends, polls, change writes) is split by their leases inside the job.
 */
export function scheduleJobs(f: Foundation, w: Workflows, needs: JobNeeds): void {
  const { scheduler, ownership, clock, logger, env, config } = f;
  // The holder of a distribution's lease may not be the replica a purge or a click reached, and
  // cannot be woken by it: with a shared store, sends and change writes are also looked for every
  // few seconds, so they wait no longer than with one process.
  const handOff = ownership ? { tick: SHARED_HANDOFF_MS } : {};
  const ifOwner = (work: string, job: () => Promise<void>, leaseMs?: number) => async () => {
    if (!ownership || (await ownership.owns(work, leaseMs))) await job();
  };
  const startedAt = clock();
  // Purges acked but never carried out (the bot stopped in between) go first, then what is due.
  // Sending and polling are separate jobs: a poll stuck on a slow CloudFront never holds up a send.
  scheduler.addJob(
    "purge.send",
    async () => {
      await resumeReceivedPurges(w.commands, startedAt);
      await w.engine.sendDue();
    },
    handOff,
  );
  scheduler.addJob("purge.poll", () => w.engine.pollInFlight());
  scheduler.addJob(
    "approvals",
    ifOwner("approvals", async () => {
      await sweepApprovals(w.approvals);
      await sweepReviews(w.approvals);
    }),
  );
  scheduler.addJob("changes", () => trackChanges(w.changes), handOff);
  // Workflow Builder's steps end within seconds of what they follow: a pass every 2 s, and no more
  // often (the loop's own pace can be far quicker, and each pass takes a lease and lists the steps).
  scheduler.addJob(
    "steps",
    ifOwner("steps", () => sweepSteps(w.steps)),
    {
      tick: STEPS_EVERY_MS,
      every: STEPS_EVERY_MS,
    },
  );
  scheduler.addJob("environments", () => trackEnvironments(w.environments), handOff);
  // Finished operations asked for through the API with a callback URL are reported there.
  scheduler.addJob(
    "callbacks",
    ifOwner("callbacks", () =>
      deliverCallbacks({
        records: f.records,
        policyFor: w.approvals.policyFor,
        secret: env.CDNBOT_CALLBACK_SECRET,
        clock,
        logger,
        retryBaseMs: env.CDNBOT_POLL_MS,
      }),
    ),
  );
  // The alerts' lease outlasts the gap between checks, so it stays with its holder.
  const alertsEvery = config.alerts.checkEvery;
  scheduler.addJob(
    "alerts",
    ifOwner("alerts", () => checkAlerts(w.watch), alertsEvery + WORK_LEASE_MS),
    { every: alertsEvery },
  );
  // Slack and AWS are asked now and then whether they answer, for /readyz.
  scheduler.addJob(
    "health",
    () =>
      checkDependencies({
        readiness: needs.readiness,
        clock,
        logger,
        slack: needs.slackAnswers,
        aws: () => f.cloudfront.getDistribution(f.directory.list()[0]!.id).then(() => undefined),
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
        const moved = await needs.store.settle(clock());
        if (moved > 0) logger.debug("Finished records archived", { records: moved });
      },
      SETTLE_EVERY_MS + WORK_LEASE_MS,
    ),
    { every: SETTLE_EVERY_MS },
  );
}
