import { describeAwsError } from "../aws/aws-errors.js";
import type { ContinuousDeploymentPolicyConfig, DistributionConfig } from "../aws/cloudfront-gateway.js";
import type { MetricSeries } from "../aws/cloudwatch-metrics.js";
import type { FieldWrite } from "../store/change-spec.js";
import type { ChangeOperation } from "../store/records.js";
import type { StagedRun } from "../store/staged-run.js";
import { paceOf } from "../tracking/status-pacing.js";
import type { ChangeDeps } from "./change-deps.js";
import { applyEvent } from "./change-steps.js";
import { changedSincePreview, ensurePolicyCopy, takeWriteTurn } from "./change-writer.js";
import { readField } from "./config-fields.js";
import { failOrWait } from "./etag-safe-write.js";
import { alreadyApplied, applyWrites, compileChange } from "./plan-change.js";
import { judgeSoak, SOAK_METRICS } from "./staged-gate.js";

/**
 * Carries a staged change one step further, whatever its step: the staging copy set up (found or
 * made, the change written to it, the policy on and attached), then, once both sides are Deployed,
 * the soak read against the primary's metrics, then the promotion or the pull-back. Called under
 * the distribution's write lock, by its lease holder.
 */
export async function advanceStaged(deps: ChangeDeps, id: string): Promise<void> {
  const op = await deps.records.get("change", id);
  if (!op?.staged) return;
  try {
    if (op.state === "writing") await setUp(deps, op);
    else if (op.state === "staged") await carryOn(deps, op);
  } catch (error) {
    await afterAwsError(deps, id, error);
  }
}

/**
 * Before anything serves, AWS's refusal fails the change (nothing reached a viewer); once the
 * staging copy serves, a refusal that will not pass pulls it back rather than leave traffic on it.
 */
async function afterAwsError(deps: ChangeDeps, id: string, error: unknown): Promise<void> {
  const op = await deps.records.get("change", id);
  if (!op) return;
  const problem = describeAwsError(error);
  if (op.state === "writing") {
    await failOrWait(deps, op, error);
    return;
  }
  // Once the copy serves, the way back is retried until it works: a change never ends while its
  // policy may still send viewers to the copy. Anything else that will not pass pulls it back.
  if (problem.retryable || op.staged?.phase === "pulling-back") {
    deps.logger.warn("A staged change's step failed; will try again", {
      change: id,
      phase: op.staged?.phase,
      code: problem.code,
    });
    return;
  }
  await applyEvent(deps, id, {
    type: "decided",
    verdict: {
      kind: "abort",
      at: deps.clock(),
      reason: `CloudFront refused a step (${problem.code}: ${problem.explanation})`,
    },
  });
  await advanceStaged(deps, id);
}

async function setUp(deps: ChangeDeps, first: ChangeOperation): Promise<void> {
  const primaryId = first.distributionId;
  let op: ChangeOperation | undefined = first;
  if (!op.staged?.stagingId) {
    const other = (await deps.records.list("change")).find(
      (c) =>
        c.id !== first.id &&
        c.distributionId === primaryId &&
        c.staged &&
        (c.state === "staged" || (c.state === "writing" && c.staged.stagingId)),
    );
    if (other) {
      await applyEvent(deps, first.id, {
        type: "failed",
        failure: {
          code: "no-longer-applies",
          reason: `Change ${other.id} is staged on ${first.alias} already; promote or abort it first (one staged change at a time per distribution).`,
        },
      });
      return;
    }
    const staging = await findOrCopyStaging(deps, op);
    op = await applyEvent(deps, op.id, { type: "staging-ready", ...staging });
  }
  if (op?.state === "writing" && op.staged?.stagingWrittenAt === undefined) op = await writeStaging(deps, op);
  if (op?.state === "writing" && op.staged?.stagingWrittenAt !== undefined && !op.staged.policyId)
    op = await readyPolicy(deps, op);
  if (op?.state === "writing" && op.staged?.policyId && (await takeWriteTurn(deps, op)))
    await attach(deps, op);
}

/** The primary's staging copy: the one its policy already names, else a new copy (CopyDistribution). */
async function findOrCopyStaging(
  deps: ChangeDeps,
  op: ChangeOperation,
): Promise<{ stagingId: string; stagingDomain: string; made?: { awsRequestId?: string } }> {
  const cf = deps.cloudfront;
  const primaryId = op.distributionId;
  const { config, etag } = await cf.getDistributionConfig(primaryId);
  // The account's distributions are listed only to find a copy that exists already.
  const stagingCopies = async () => (await cf.listDistributions(primaryId)).filter((d) => d.staging);
  if (config.ContinuousDeploymentPolicyId) {
    const policy = await cf.getContinuousDeploymentPolicy(config.ContinuousDeploymentPolicyId, primaryId);
    const domain = policy.config.StagingDistributionDnsNames?.Items?.[0];
    const found = (await stagingCopies()).find((d) => d.domainName === domain);
    if (found) return { stagingId: found.id, stagingDomain: found.domainName };
  }
  // Named after the change: a copy that reached AWS before a crash is found again, not made twice.
  const reference = `cdnbot-staging-${op.id}`;
  try {
    const made = await cf.copyToStaging(primaryId, reference, etag);
    return {
      stagingId: made.id,
      stagingDomain: made.domainName,
      made: made.requestId ? { awsRequestId: made.requestId } : {},
    };
  } catch (error) {
    if (describeAwsError(error).code !== "DistributionAlreadyExists") throw error;
    for (const d of await stagingCopies()) {
      const copy = await cf.getDistributionConfig(d.id, primaryId);
      if (copy.config.CallerReference === reference) return { stagingId: d.id, stagingDomain: d.domainName };
    }
    throw error;
  }
}

/** The fields a staged change writes onto a config: its own, or its behaviour pointed at the policy copy. */
function stagedWrites(op: ChangeOperation, config: DistributionConfig, policyCopyId?: string): FieldWrite[] {
  if (!op.policyCopy) return compileChange(op.spec, config);
  const behavior = op.policyCopy.behavior === "*" ? "default" : op.policyCopy.behavior;
  return [{ path: `behavior[${behavior}].CachePolicyId`, value: policyCopyId }];
}

/** Whether a config holds the staged change already (a policy copy: its behaviour points at it). */
function holdsChange(op: ChangeOperation, config: DistributionConfig): boolean {
  if (!op.policyCopy) return alreadyApplied(config, op.diffs);
  const copyId = op.staged?.policyCopyId;
  return (
    copyId !== undefined &&
    stagedWrites(op, config, copyId).every((w) => readField(config, w.path) === w.value)
  );
}

/** What the staging copy keeps of its own when it takes the primary's config and the change. */
function asStaging(next: DistributionConfig, staging: DistributionConfig): DistributionConfig {
  const { ContinuousDeploymentPolicyId: _policy, ...rest } = next;
  return { ...rest, CallerReference: staging.CallerReference, Aliases: staging.Aliases, Staging: true };
}

/** The fields that tell a staging copy from its primary, left out when the two are compared. */
function comparable(config: DistributionConfig): Record<string, unknown> {
  const { CallerReference: _r, Aliases: _a, Staging: _s, ContinuousDeploymentPolicyId: _p, ...rest } = config;
  return rest;
}

/** The top-level settings in which two configs differ. */
function differingFields(a: DistributionConfig, b: DistributionConfig): string[] {
  const [x, y] = [comparable(a), comparable(b)];
  return [...new Set([...Object.keys(x), ...Object.keys(y)])]
    .filter((k) => JSON.stringify(x[k]) !== JSON.stringify(y[k]))
    .sort();
}

/**
 * The staging copy takes the primary's config as it is now plus the change: whatever an earlier
 * staged change left on it is replaced. The primary's fields are checked against the preview first.
 */
async function writeStaging(deps: ChangeDeps, op: ChangeOperation): Promise<ChangeOperation | undefined> {
  const cf = deps.cloudfront;
  const run = op.staged!;
  const stagingId = run.stagingId!;
  const { primary, staging } = await readBoth(deps, op);
  const drift = changedSincePreview(primary.config, op, { kind: "distribution" });
  if (drift) return applyEvent(deps, op.id, { type: "failed", failure: drift });
  if (holdsChange(op, primary.config))
    return applyEvent(deps, op.id, {
      type: "failed",
      failure: {
        code: "no-longer-applies",
        reason: `${op.alias} has these settings already: there is nothing to stage.`,
      },
    });
  // A TTL on AWS's managed policy: the staging copy's behaviour points at a copy with the new TTLs.
  const policyCopyId = op.policyCopy ? await ensurePolicyCopy(deps, op, op.policyCopy) : undefined;
  const copied = policyCopyId ? { policyCopyId } : {};
  const writes = stagedWrites(op, primary.config, policyCopyId);
  const next = asStaging(applyWrites(primary.config, writes), staging.config);
  // Written before a crash: the copy already holds it.
  if (differingFields(next, staging.config).length === 0)
    return applyEvent(deps, op.id, { type: "staging-written", ...copied });
  const out = await cf.updateDistribution(stagingId, next, staging.etag, op.distributionId);
  return applyEvent(deps, op.id, {
    type: "staging-written",
    ...copied,
    ...(out.requestId ? { awsRequestId: out.requestId } : {}),
  });
}

/** The primary's config and its staging copy's, each with the ETag a write of it must send. */
async function readBoth(deps: ChangeDeps, op: ChangeOperation) {
  const [primary, staging] = await Promise.all([
    deps.cloudfront.getDistributionConfig(op.distributionId),
    deps.cloudfront.getDistributionConfig(op.staged!.stagingId!, op.distributionId),
  ]);
  return { primary, staging };
}

/** CloudFront's traffic config for the share asked for (stickiness with a weight, as configured). */
function trafficConfig(deps: ChangeDeps, run: StagedRun): ContinuousDeploymentPolicyConfig["TrafficConfig"] {
  if ("header" in run.traffic)
    return {
      Type: "SingleHeader",
      SingleHeaderConfig: { Header: run.traffic.header.name, Value: run.traffic.header.value },
    };
  const sticky = deps.config.staging.stickiness;
  return {
    Type: "SingleWeight",
    SingleWeightConfig: {
      Weight: run.traffic.weight,
      ...(sticky ? { SessionStickinessConfig: { IdleTTL: sticky / 1000, MaximumTTL: sticky / 1000 } } : {}),
    },
  };
}

/** The primary's policy, on, sending the share to this staging copy: updated if it has one, else made. */
async function readyPolicy(deps: ChangeDeps, op: ChangeOperation): Promise<ChangeOperation | undefined> {
  const cf = deps.cloudfront;
  const run = op.staged!;
  const wanted: ContinuousDeploymentPolicyConfig = {
    StagingDistributionDnsNames: { Quantity: 1, Items: [run.stagingDomain!] },
    Enabled: true,
    TrafficConfig: trafficConfig(deps, run),
  };
  const { config } = await cf.getDistributionConfig(op.distributionId);
  const existing = config.ContinuousDeploymentPolicyId;
  if (existing) {
    const current = await cf.getContinuousDeploymentPolicy(existing, op.distributionId);
    const out = await cf.updateContinuousDeploymentPolicy(existing, wanted, current.etag, op.distributionId);
    return applyEvent(deps, op.id, {
      type: "policy-ready",
      policyId: existing,
      call: "UpdateContinuousDeploymentPolicy",
      ...(out.requestId ? { awsRequestId: out.requestId } : {}),
    });
  }
  const made = await cf.createContinuousDeploymentPolicy(wanted, op.distributionId);
  return applyEvent(deps, op.id, {
    type: "policy-ready",
    policyId: made.id,
    call: "CreateContinuousDeploymentPolicy",
    ...(made.requestId ? { awsRequestId: made.requestId } : {}),
  });
}

/** The primary takes the policy (UpdateDistribution, its ETag read just before). */
async function attach(deps: ChangeDeps, op: ChangeOperation): Promise<void> {
  const cf = deps.cloudfront;
  const policyId = op.staged!.policyId!;
  const { config, etag } = await cf.getDistributionConfig(op.distributionId);
  if (config.ContinuousDeploymentPolicyId === policyId) {
    await applyEvent(deps, op.id, { type: "attached" });
    return;
  }
  const out = await cf.updateDistribution(
    op.distributionId,
    { ...config, ContinuousDeploymentPolicyId: policyId },
    etag,
  );
  deps.writePacer?.succeeded(op.distributionId, deps.clock());
  await applyEvent(deps, op.id, {
    type: "attached",
    ...(out.requestId ? { awsRequestId: out.requestId } : {}),
  });
}

// When each soaking change's metrics were last read (here: a restart reads them at once).
const lastRead = new Map<string, number>();

/** When a staged change should next be looked at: its metrics every `checkEvery`, else soon. */
export function nextStagedLook(deps: ChangeDeps, op: ChangeOperation, now: number): number {
  const phase = op.staged?.phase;
  if (phase === "soaking" || phase === "awaiting-promotion")
    return (lastRead.get(op.id) ?? now) + deps.config.staging.checkEvery;
  return now + paceOf(deps).everyMs;
}

async function carryOn(deps: ChangeDeps, op: ChangeOperation): Promise<void> {
  const run = op.staged!;
  const now = deps.clock();
  if (run.phase === "deploying") {
    const [primary, staging] = await Promise.all([
      deps.cloudfront.getDistribution(op.distributionId),
      deps.cloudfront.getDistribution(run.stagingId!, op.distributionId),
    ]);
    if (primary.status === "Deployed" && staging.status === "Deployed")
      await applyEvent(deps, op.id, { type: "both-deployed", soakUntil: now + deps.config.staging.soak });
    return;
  }
  if (run.phase === "soaking" || run.phase === "awaiting-promotion") {
    if (now - (lastRead.get(op.id) ?? 0) < deps.config.staging.checkEvery) return;
    lastRead.set(op.id, now);
    const next = await soak(deps, op, now);
    if (next?.staged?.phase === "promoting" || next?.staged?.phase === "pulling-back")
      await advanceStaged(deps, op.id);
    return;
  }
  // Decided: its metrics are not read again.
  if (run.phase === "promoting" || run.phase === "pulling-back") lastRead.delete(op.id);
  if (run.phase === "promoting") {
    if (await takeWriteTurn(deps, op)) await promote(deps, op);
    return;
  }
  if (run.phase === "pulling-back") await pullBack(deps, op);
}

/** One reading of both sides: a breach decides at once; a soak past its time without one passes. */
async function soak(
  deps: ChangeDeps,
  op: ChangeOperation,
  now: number,
): Promise<ChangeOperation | undefined> {
  const run = op.staged!;
  const settings = deps.config.staging;
  const range = { startMs: now - (settings.breachDatapoints + 10) * 60_000, endMs: now, periodSeconds: 60 };
  const read = (id: string): Promise<MetricSeries> =>
    deps.cloudwatch
      ? deps.cloudwatch.getDistributionMetrics(id, SOAK_METRICS, range, op.distributionId)
      : Promise.resolve({});
  const [staging, primary] = await Promise.all([read(run.stagingId!), read(op.distributionId)]);
  const verdict = judgeSoak(staging, primary, settings, now);
  // The figures first, so the thread's message shows what a breach was read from.
  const shown = (f: typeof verdict.figures) => JSON.stringify({ ...f, at: 0 });
  let current: ChangeOperation | undefined = op;
  if (!run.figures || shown(run.figures) !== shown(verdict.figures))
    current = await applyEvent(deps, op.id, { type: "figures", figures: verdict.figures });
  if (verdict.breach)
    return applyEvent(deps, op.id, {
      type: "decided",
      verdict: { kind: "breach", at: now, reason: verdict.breach },
    });
  if (current?.staged?.phase === "soaking" && now >= (run.soakUntil ?? 0))
    current = await applyEvent(deps, op.id, {
      type: "soak-passed",
      auto: settings.autoPromote.includes(op.alias),
    });
  return current;
}

/**
 * UpdateDistributionWithStagingConfig with both ETags read just before, once the staging copy is
 * still the primary plus this change (a colleague's edit to either since would be lost or
 * promoted unseen: it is pulled back instead); then the policy off.
 */
async function promote(deps: ChangeDeps, op: ChangeOperation): Promise<void> {
  const cf = deps.cloudfront;
  const run = op.staged!;
  const stagingId = run.stagingId!;
  const { primary, staging } = await readBoth(deps, op);
  // Promoted before a crash: the primary holds the staging copy's config already.
  const landed =
    run.promoteStartedAt !== undefined && differingFields(primary.config, staging.config).length === 0;
  if (!landed) {
    const expected = applyWrites(primary.config, stagedWrites(op, primary.config, run.policyCopyId));
    const diverged = holdsChange(op, primary.config)
      ? ["the primary has the change already"]
      : differingFields(expected, staging.config);
    if (diverged.length > 0) {
      await applyEvent(deps, op.id, { type: "diverged", fields: diverged });
      await pullBack(deps, op);
      return;
    }
    await applyEvent(deps, op.id, { type: "promote-started" });
    const out = await cf.promoteStagingConfig(
      op.distributionId,
      stagingId,
      `${primary.etag}, ${staging.etag}`,
    );
    deps.writePacer?.succeeded(op.distributionId, deps.clock());
    await policyOff(deps, op);
    await applyEvent(deps, op.id, {
      type: "promoted",
      ...(out.requestId ? { awsRequestId: out.requestId } : {}),
    });
    return;
  }
  await policyOff(deps, op);
  await applyEvent(deps, op.id, { type: "promoted" });
}

/** The policy off, so the primary serves every request (nothing to do if it is off already). */
async function policyOff(deps: ChangeDeps, op: ChangeOperation): Promise<{ requestId?: string }> {
  const policyId = op.staged!.policyId!;
  const current = await deps.cloudfront.getContinuousDeploymentPolicy(policyId, op.distributionId);
  if (current.config.Enabled === false) return {};
  return deps.cloudfront.updateContinuousDeploymentPolicy(
    policyId,
    { ...current.config, Enabled: false },
    current.etag,
    op.distributionId,
  );
}

async function pullBack(deps: ChangeDeps, op: ChangeOperation): Promise<void> {
  const out = await policyOff(deps, op);
  await applyEvent(deps, op.id, {
    type: "pulled-back",
    ...(out.requestId ? { awsRequestId: out.requestId } : {}),
  });
}
