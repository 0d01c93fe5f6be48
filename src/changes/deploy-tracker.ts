import { describeAwsError } from "../aws/aws-errors.js";
import type { ChangeOperation } from "../store/records.js";
import { nextStatusAt, paceOf, wakeForEarliest } from "../tracking/status-pacing.js";
import { ownedAmong } from "../tracking/work-leases.js";
import { type ChangeDeps, changeWorkOf } from "./change-deps.js";
import { applyEvent, finish } from "./change-steps.js";
import { withDistributionLock, writeChange } from "./change-writer.js";
import { advanceStaged, nextStagedLook } from "./staged-runner.js";

/**
 * The deploy follower: one status read per distribution (or tenant, or policy) covers all of its
 * changes in flight; changes a previous process left mid-write are written (or found written) again.
 */
export async function trackChanges(deps: ChangeDeps): Promise<void> {
  await followChanges(deps);
  // The job runs again when the next deploy is due to be asked about, not at the next tick.
  const pace = paceOf(deps);
  const live = await deps.records.list("change");
  const now = deps.clock();
  wakeForEarliest(pace, [
    ...live.filter((c) => c.state === "deploying").map((c) => c.nextPollAt),
    // A soaking change is read every `staging.checkEvery`, not at the job's next tick.
    ...live.filter((c) => c.state === "staged").map((c) => nextStagedLook(deps, c, now)),
  ]);
}

/** When to ask again about a change's deploy that is not Deployed yet, from when this ask was due. */
function nextDeployAsk(deps: ChangeDeps, c: ChangeOperation, askedAt: number): number {
  const pace = paceOf(deps);
  return nextStatusAt(
    askedAt,
    c.writtenAt ?? askedAt,
    pace.finishTimes.fastest(c.distributionId),
    pace.everyMs,
  );
}

async function followChanges(deps: ChangeDeps): Promise<void> {
  const now = deps.clock();
  const live = await deps.records.list("change");
  // Only the distributions with work due are asked for: each lease is renewed while it has work.
  const mine = await ownedAmong(
    live
      .filter(
        (c) =>
          c.state === "writing" ||
          c.state === "staged" ||
          (c.state === "deploying" && (c.nextPollAt ?? 0) <= now) ||
          ((c.state === "deployed" || c.state === "failed") && !c.announced.final),
      )
      .map((c) => c.distributionId),
    changeWorkOf,
    deps.owns,
  );
  for (const op of live.filter((c) => c.state === "writing" && mine.has(c.distributionId)))
    await withDistributionLock(op.distributionId, () => writeChange(deps, op.id));
  // A staged change deploys, soaks, and is promoted or pulled back by its own steps.
  for (const op of live.filter((c) => c.state === "staged" && mine.has(c.distributionId)))
    await withDistributionLock(op.distributionId, () => advanceStaged(deps, op.id));
  const deploying = (await deps.records.list("change")).filter(
    (c) => c.state === "deploying" && mine.has(c.distributionId),
  );
  // A new policy nothing uses yet has nothing to deploy; a key-value store's keys reach every edge
  // location within seconds, and a logging v2 delivery needs no deploy: no status to follow.
  for (const op of deploying.filter((c) => c.policyCreate || c.keyValueStore || c.logDelivery))
    await applyEvent(deps, op.id, { type: "deployed" });
  // One status read per thing deploying covers every change of it that waits; it is read when
  // one of them is due.
  const followed = new Map<string, { status: DeployStatus; changes: ChangeOperation[] }>();
  for (const op of deploying.filter((c) => !c.policyCreate && !c.keyValueStore && !c.logDelivery)) {
    const status = deployStatus(deps, op);
    const entry = followed.get(status.key) ?? { status, changes: [] };
    entry.changes.push(op);
    followed.set(status.key, entry);
  }
  for (const { status, changes } of followed.values()) {
    if (!changes.some((c) => (c.nextPollAt ?? 0) <= now)) continue;
    let deployed: boolean;
    try {
      deployed = await status.read();
    } catch (error) {
      deps.logger.warn(`${status.call} failed while following a deploy`, {
        ...status.about,
        code: describeAwsError(error).code,
      });
      continue;
    }
    for (const op of changes) {
      // Deploys take 5 to 20 minutes: what this distribution's took before says when to ask densely.
      if (deployed && status.timed && op.writtenAt !== undefined)
        paceOf(deps).finishTimes.record(op.distributionId, now - op.writtenAt);
      await applyEvent(
        deps,
        op.id,
        deployed
          ? { type: "deployed" }
          : (c) => ({ type: "still-deploying", nextPollAt: nextDeployAsk(deps, c, now) }),
      );
    }
  }
  for (const op of (await deps.records.list("change")).filter(
    (c) =>
      (c.state === "deployed" || c.state === "failed") && !c.announced.final && mine.has(c.distributionId),
  )) {
    await finish(deps, op);
  }
}

/** What a change's deploy is read from, and the one call that says whether it is Deployed. */
type DeployStatus = {
  /** Changes with the same key are covered by one read. */
  key: string;
  read: () => Promise<boolean>;
  /** The call, and what it was about, for the log when it fails. */
  call: string;
  about: Record<string, string | undefined>;
  /** Whether its time to Deployed paces the distribution's next asks. */
  timed: boolean;
};

function deployStatus(deps: ChangeDeps, op: ChangeOperation): DeployStatus {
  if (op.policy) {
    const policy = op.policy;
    // A policy's change is Deployed once every distribution using it is: one ListDistributions.
    return {
      key: `policy:${op.id}`,
      read: async () => {
        const statuses = new Map(
          (await deps.cloudfront.listDistributions(op.distributionId)).map((d) => [d.id, d.status]),
        );
        return policy.distributionIds.every((id) => (statuses.get(id) ?? "Deployed") === "Deployed");
      },
      call: "ListDistributions",
      about: { policy: policy.id },
      timed: false,
    };
  }
  if (op.tenant) {
    const tenantId = op.tenant.id;
    // A tenant's change is Deployed when the tenant is.
    return {
      key: `tenant:${tenantId}`,
      read: async () =>
        (await deps.cloudfront.getTenantDocument(tenantId, op.distributionId)).status === "Deployed",
      call: "GetDistributionTenant",
      about: { tenantId },
      timed: false,
    };
  }
  return {
    key: `distribution:${op.distributionId}`,
    read: async () => (await deps.cloudfront.getDistribution(op.distributionId)).status === "Deployed",
    call: "GetDistribution",
    about: { distributionId: op.distributionId },
    timed: true,
  };
}
