import { describeAwsError } from "../aws/aws-errors.js";
import type { ChangeOperation } from "../store/records.js";
import { nextStatusAt, paceOf, wakeForEarliest } from "../tracking/status-pacing.js";
import { ownedAmong } from "../tracking/work-leases.js";
import { type ChangeDeps, changeWorkOf } from "./change-deps.js";
import { applyEvent, finish } from "./change-steps.js";
import { withDistributionLock, writeChange } from "./change-writer.js";

/**
 * The deploy follower: one GetDistribution per distribution covers all of its changes in flight;
 * changes a previous process left mid-write are written (or found written) again.
 */
export async function trackChanges(deps: ChangeDeps): Promise<void> {
  await followChanges(deps);
  // The job runs again when the next deploy is due to be asked about, not at the next tick.
  const pace = paceOf(deps);
  const deploying = (await deps.records.list("change")).filter((c) => c.state === "deploying");
  wakeForEarliest(
    pace,
    deploying.map((c) => c.nextPollAt),
  );
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
          (c.state === "deploying" && (c.nextPollAt ?? 0) <= now) ||
          ((c.state === "deployed" || c.state === "failed") && !c.announced.final),
      )
      .map((c) => c.distributionId),
    changeWorkOf,
    deps.owns,
  );
  for (const op of live.filter((c) => c.state === "writing" && mine.has(c.distributionId)))
    await withDistributionLock(op.distributionId, () => writeChange(deps, op.id));
  const deploying = (await deps.records.list("change")).filter(
    (c) => c.state === "deploying" && mine.has(c.distributionId),
  );
  // A new policy nothing uses yet has nothing to deploy.
  for (const op of deploying.filter((c) => c.policyCreate))
    await applyEvent(deps, op.id, { type: "deployed" });
  // A cache policy's change is Deployed once every distribution using it is: one ListDistributions.
  for (const op of deploying.filter((c) => c.policy && (c.nextPollAt ?? 0) <= now)) {
    let statuses: Map<string, string>;
    try {
      statuses = new Map(
        (await deps.cloudfront.listDistributions(op.distributionId)).map((d) => [d.id, d.status]),
      );
    } catch (error) {
      deps.logger.warn("ListDistributions failed while following a cache policy's deploy", {
        policy: op.policy?.id,
        code: describeAwsError(error).code,
      });
      continue;
    }
    const pending = (op.policy?.distributionIds ?? []).filter(
      (id) => (statuses.get(id) ?? "Deployed") !== "Deployed",
    );
    await applyEvent(
      deps,
      op.id,
      pending.length === 0
        ? { type: "deployed" }
        : (c) => ({ type: "still-deploying", nextPollAt: nextDeployAsk(deps, c, now) }),
    );
  }
  // A tenant's change is Deployed when the tenant is: one GetDistributionTenant per tenant.
  const tenantsDue = new Map(
    deploying.filter((c) => c.tenant && (c.nextPollAt ?? 0) <= now).map((c) => [c.tenant!.id, c]),
  );
  for (const [tenantId, first] of tenantsDue) {
    let status: string;
    try {
      status = (await deps.cloudfront.getTenantDocument(tenantId, first.distributionId)).status;
    } catch (error) {
      deps.logger.warn("GetDistributionTenant failed while following a deploy", {
        tenantId,
        code: describeAwsError(error).code,
      });
      continue;
    }
    for (const op of deploying.filter((c) => c.tenant?.id === tenantId))
      await applyEvent(
        deps,
        op.id,
        status === "Deployed"
          ? { type: "deployed" }
          : (c) => ({ type: "still-deploying", nextPollAt: nextDeployAsk(deps, c, now) }),
      );
  }
  const ofDistribution = (c: ChangeOperation) => !c.policy && !c.policyCreate && !c.tenant;
  const due = new Set(
    deploying.filter((c) => ofDistribution(c) && (c.nextPollAt ?? 0) <= now).map((c) => c.distributionId),
  );
  for (const distributionId of due) {
    let status: string;
    try {
      status = (await deps.cloudfront.getDistribution(distributionId)).status;
    } catch (error) {
      deps.logger.warn("GetDistribution failed while following a deploy", {
        distributionId,
        code: describeAwsError(error).code,
      });
      continue;
    }
    for (const op of deploying.filter((c) => c.distributionId === distributionId && ofDistribution(c))) {
      // Deploys take 5 to 20 minutes: what this distribution's took before says when to ask densely.
      if (status === "Deployed" && op.writtenAt !== undefined)
        paceOf(deps).finishTimes.record(distributionId, now - op.writtenAt);
      await applyEvent(
        deps,
        op.id,
        status === "Deployed"
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
