import { describeAwsError } from "../aws/aws-errors.js";
import type {
  CachePolicyConfig,
  DistributionConfig,
  ResponseHeadersPolicyConfig,
  TenantDocument,
} from "../aws/cloudfront-gateway.js";
import type { CachePolicyCopy, CachePolicyTarget, HeadersPolicyCreate } from "../store/change-spec.js";
import type { DocumentRef, Failure } from "../store/failures.js";
import type { ChangeOperation } from "../store/records.js";
import { KeyedLock } from "../tracking/keyed-lock.js";
import { paceOf } from "../tracking/status-pacing.js";
import { ownedAmong } from "../tracking/work-leases.js";
import { policyCopyConfig } from "./cache-policy-change.js";
import { type ChangeDeps, changeWorkOf } from "./change-deps.js";
import { writesWebAclOnly } from "./change-machine.js";
import { applyEvent } from "./change-steps.js";
import { type ChangeDocument, readField } from "./config-fields.js";
import { formatFieldValue, shownValue } from "./describe-change.js";
import {
  failOrWait,
  type VersionedDocument,
  type WriteDecision,
  writeWithFreshEtag,
} from "./etag-safe-write.js";
import { keyValueDocument } from "./key-value-stores.js";
import { logDeliveryDocument } from "./log-delivery.js";
import { alreadyApplied, applyWrites, compileChange, driftSince } from "./plan-change.js";
import { advanceStaged } from "./staged-runner.js";

// Two changes to one distribution are written one after the other, never interleaved.
const writes = new KeyedLock();

export function withDistributionLock<T>(distributionId: string, work: () => Promise<T>): Promise<T> {
  return writes.run(distributionId, work);
}

/**
 * Writes a change now, unless another replica holds its distribution's lease: that one writes it at
 * its next pass (within a poll interval), so two replicas never race one distribution's ETag.
 */
export async function runChange(deps: ChangeDeps, id: string): Promise<void> {
  const op = await deps.records.get("change", id);
  if (!op) return;
  if (!(await ownedAmong([op.distributionId], changeWorkOf, deps.owns)).size) return;
  return withDistributionLock(op.distributionId, () => writeChange(deps, id));
}

/** Writes a change that is `writing`, wherever its fields live. */
export async function writeChange(deps: ChangeDeps, id: string): Promise<void> {
  const op = await deps.records.get("change", id);
  if (op?.state !== "writing") return;
  if (op.staged) return advanceStaged(deps, id);
  if (op.policy)
    return writeWithFreshEtag(deps, id, (o) => policyDocument(deps, o, op.policy!), decidePreviewedWrites);
  if (op.policyCopy) return writeWithPolicyCopy(deps, op, op.policyCopy);
  if (op.policyCreate) return writeHeadersPolicyCreate(deps, op, op.policyCreate);
  if (op.tenant) return writeWithFreshEtag(deps, id, (o) => tenantDocument(deps, o), decidePreviewedWrites);
  if (op.keyValueStore)
    return writeWithFreshEtag(deps, id, (o) => keyValueDocument(deps, o), decidePreviewedWrites);
  if (op.logDelivery)
    return writeWithFreshEtag(deps, id, (o) => logDeliveryDocument(deps, o), decidePreviewedWrites);
  const document = writesWebAclOnly(op) ? webAclDocument : distributionDocument;
  return writeWithFreshEtag(deps, id, (o) => document(deps, o), decideDistributionWrite);
}

/**
 * The distribution's web ACL, written with AssociateDistributionWebACL or DisassociateDistributionWebACL
 * (the distribution's ETag in If-Match, at the distribution's pace). Where CloudFront does not offer
 * that API for the distribution (UnsupportedOperation), the whole config is written as before.
 */
function webAclDocument(deps: ChangeDeps, op: ChangeOperation): VersionedDocument<DistributionConfig> {
  const whole = distributionDocument(deps, op);
  return {
    ...whole,
    write: async (config, ifMatch) => {
      try {
        return await deps.cloudfront.setDistributionWebAcl(
          op.distributionId,
          config.WebACLId || null,
          ifMatch,
        );
      } catch (error) {
        if (describeAwsError(error).code !== "UnsupportedOperation") throw error;
        return whole.write(config, ifMatch);
      }
    },
  };
}

/**
 * One tenant of a multi-tenant distribution, read with GetDistributionTenant and written whole with
 * UpdateDistributionTenant; a change of its web ACL alone goes through the tenant's own web ACL API
 * (AssociateDistributionTenantWebACL / DisassociateDistributionTenantWebACL), with the same ETag.
 */
function tenantDocument(deps: ChangeDeps, op: ChangeOperation): VersionedDocument<TenantDocument> {
  const tenant = op.tenant!;
  const onlyWebAcl = writesWebAclOnly(op);
  return {
    ref: { kind: "distribution-tenant", name: tenant.name },
    read: () => deps.cloudfront.getTenantDocument(tenant.id, op.distributionId),
    write: (doc, ifMatch) =>
      onlyWebAcl
        ? deps.cloudfront.setTenantWebAcl(tenant.id, doc.WebACLArn || null, ifMatch, op.distributionId)
        : deps.cloudfront.updateDistributionTenant(tenant.id, doc, ifMatch, op.distributionId),
  };
}

/** The distribution's config: its writes go at the distribution's pace (UpdateDistribution). */
function distributionDocument(deps: ChangeDeps, op: ChangeOperation): VersionedDocument<DistributionConfig> {
  return {
    ref: { kind: "distribution" },
    read: () => deps.cloudfront.getDistributionConfig(op.distributionId),
    write: (config, ifMatch) => deps.cloudfront.updateDistribution(op.distributionId, config, ifMatch),
    takeTurn: () => takeWriteTurn(deps, op),
    paced: (outcome) =>
      outcome === "answered"
        ? deps.writePacer?.succeeded(op.distributionId, deps.clock())
        : deps.writePacer?.throttled(op.distributionId, deps.clock()),
  };
}

/** A cache or response headers policy: read and written in the account of the change's distribution. */
function policyDocument(
  deps: ChangeDeps,
  op: ChangeOperation,
  policy: CachePolicyTarget,
): VersionedDocument<CachePolicyConfig | ResponseHeadersPolicyConfig> {
  if (policy.kind === "response-headers")
    return {
      ref: { kind: "response-headers-policy", name: policy.name },
      read: () => deps.cloudfront.getResponseHeadersPolicyConfig(policy.id, op.distributionId),
      write: (config, ifMatch) =>
        deps.cloudfront.updateResponseHeadersPolicy(
          policy.id,
          config as ResponseHeadersPolicyConfig,
          ifMatch,
          op.distributionId,
        ),
    };
  return {
    ref: { kind: "cache-policy", name: policy.name },
    read: () => deps.cloudfront.getCachePolicyConfig(policy.id, op.distributionId),
    write: (config, ifMatch) =>
      deps.cloudfront.updateCachePolicy(policy.id, config as CachePolicyConfig, ifMatch, op.distributionId),
  };
}

/**
 * A change to fields of the document: done if they already hold the new values, refused if someone
 * changed them since the preview (saying what differs), else the previewed values written onto the
 * fresh copy.
 */
function decideFields<C extends ChangeDocument>(
  fresh: C,
  op: ChangeOperation,
  document: DocumentRef,
  next: () => C,
): WriteDecision<C> {
  if (alreadyApplied(fresh, op.diffs)) return { kind: "already-applied" };
  const drift = changedSincePreview(fresh, op, document);
  return drift ? { kind: "refuse", failure: drift } : { kind: "write", next: next() };
}

/** Fields of the change someone else changed since its preview, as the refusal says them; or none. */
export function changedSincePreview(
  fresh: ChangeDocument,
  op: Pick<ChangeOperation, "diffs">,
  document: DocumentRef,
): Failure | undefined {
  const drift = driftSince(fresh, op.diffs);
  if (drift.length === 0) return undefined;
  // What someone else wrote is shown as data (a code span), as in the preview.
  const fields = drift.map((d) => ({
    label: d.label,
    previewed: shownValue(d.previewed),
    now: shownValue(d.now),
  }));
  return { code: "changed-since-preview", document, fields };
}

function decideDistributionWrite(
  fresh: DistributionConfig,
  op: ChangeOperation,
  document: DocumentRef,
): WriteDecision<DistributionConfig> {
  return decideFields(
    fresh,
    op,
    document,
    // The typed change is compiled again against the fresh config (a new behaviour's index, say).
    () => applyWrites(fresh, compileChange(op.spec, fresh)),
  );
}

/**
 * A change whose fields are written as previewed onto the fresh document (a policy, a tenant, a
 * store's keys): nothing to compile again, unlike a distribution's behaviours.
 */
function decidePreviewedWrites<C extends ChangeDocument>(
  fresh: C,
  op: ChangeOperation,
  document: DocumentRef,
): WriteDecision<C> {
  return decideFields(fresh, op, document, () =>
    applyWrites(
      fresh,
      op.diffs.map((d) => ({ path: d.path, value: d.after })),
    ),
  );
}

/**
 * A TTL change on a managed policy: the copy is made first (or found, by its name, when a retry or a
 * restart made it already), then the behaviour is pointed at it with the distribution's ETag read
 * just before. Someone pointing the behaviour elsewhere meanwhile stops it.
 */
async function writeWithPolicyCopy(deps: ChangeDeps, first: ChangeOperation, copy: CachePolicyCopy) {
  const path = `behavior[${copy.behavior}].CachePolicyId`;
  let copyId: string;
  try {
    copyId = await ensurePolicyCopy(deps, first, copy);
  } catch (error) {
    await failOrWait(deps, first, error);
    return;
  }
  await writeWithFreshEtag(
    deps,
    first.id,
    (o) => distributionDocument(deps, o),
    (fresh) => {
      const now = readField(fresh, path);
      if (now === copyId) return { kind: "already-applied" };
      if (now !== copy.fromId)
        return {
          kind: "refuse",
          failure: {
            code: "policy-swapped-since-preview",
            behavior: copy.behavior,
            was: copy.fromName,
            now: formatFieldValue(now),
            copy: copy.name,
          },
        };
      return { kind: "write", next: applyWrites(fresh, [{ path, value: copyId }]) };
    },
  );
}

/**
 * Creates the response headers policy, once: a policy of its name already there (a retry, or a create
 * that reached AWS before a crash) is the one this change made only if this bot had started the
 * create; otherwise someone else took the name first and the change fails, saying so.
 */
async function writeHeadersPolicyCreate(deps: ChangeDeps, op: ChangeOperation, create: HeadersPolicyCreate) {
  try {
    const existing = (await deps.cloudfront.listResponseHeadersPolicies(op.distributionId)).find(
      (p) => p.name === create.name,
    );
    if (existing) {
      if (op.writeStartedAt !== undefined)
        await applyEvent(deps, op.id, { type: "written", proof: { kind: "confirmed-after-restart" } });
      else
        await applyEvent(deps, op.id, {
          type: "failed",
          failure: { code: "policy-name-taken", name: create.name },
        });
      return;
    }
    await applyEvent(deps, op.id, { type: "write-started" });
    const out = await deps.cloudfront.createResponseHeadersPolicy(
      create.config as unknown as ResponseHeadersPolicyConfig,
      op.distributionId,
    );
    await applyEvent(deps, op.id, {
      type: "written",
      proof: { kind: "answered", ...(out.requestId ? { awsRequestId: out.requestId } : {}) },
    });
  } catch (error) {
    await failOrWait(deps, op, error);
  }
}

/** The copy's id: found by its name if it was made already, else made now (and audited). */
export async function ensurePolicyCopy(
  deps: ChangeDeps,
  op: ChangeOperation,
  copy: CachePolicyCopy,
): Promise<string> {
  const existing = await deps.cloudfront.findCustomCachePolicy(copy.name, op.distributionId);
  if (existing) return existing;
  const { config: managed } = await deps.cloudfront.getCachePolicyConfig(copy.fromId, op.distributionId);
  let made: { id: string; requestId?: string };
  try {
    made = await deps.cloudfront.createCachePolicy(policyCopyConfig(managed, copy, op.id), op.distributionId);
  } catch (error) {
    // Its name is the change's: a create that raced this one, or reached AWS before a crash, made it.
    const again =
      describeAwsError(error).code === "CachePolicyAlreadyExists"
        ? await deps.cloudfront.findCustomCachePolicy(copy.name, op.distributionId)
        : undefined;
    if (again) return again;
    throw error;
  }
  await deps.records.commit(
    {
      writes: [],
      audit: [
        {
          type: "aws.CreateCachePolicy",
          actor: op.requestedBy,
          channelId: op.channelId,
          alias: op.alias,
          distributionId: op.distributionId,
          requestId: op.id,
          summary: `Change ${op.id}: cache policy ${copy.name} (${made.id}) created, a copy of ${copy.fromName} with TTLs ${copy.ttl.min}/${copy.ttl.default}/${copy.ttl.max}`,
          outcome: "ok",
          ...(made.requestId ? { awsRequestId: made.requestId } : {}),
        },
      ],
    },
    deps.clock(),
  );
  return made.id;
}

/**
 * Takes the distribution's next UpdateDistribution turn, or, when its pace is used up, asks to be
 * woken when the turn comes and tells the thread once how long it waits. Taken before the config is
 * read, so the ETag is always the one read just before the write, never one read before a wait.
 */
export async function takeWriteTurn(deps: ChangeDeps, op: ChangeOperation): Promise<boolean> {
  const now = deps.clock();
  const wait = deps.writePacer?.tryTake(op.distributionId, now) ?? 0;
  if (wait === 0) return true;
  paceOf(deps).wakeAt?.(now + wait);
  await applyEvent(deps, op.id, {
    type: "transient",
    note: { code: "paced", seconds: Math.max(1, Math.ceil(wait / 1000)) },
  });
  return false;
}
