import { describeAwsError } from "../aws/aws-errors.js";
import type { InvalidationGateway, InvalidationInfo } from "../aws/cloudfront-gateway.js";
import type { Logger } from "../logger.js";
import { monthOf } from "../store/calendar-month.js";
import type { RecordStore, RecordWrite } from "../store/record-store.js";
import type { PurgeBatch, PurgeOperation } from "../store/records.js";
import { retryOnConflict } from "../store/retry-on-conflict.js";
import { type BatchEvent, batchTransition } from "./batch-machine.js";

/**
 * Runs one event through the batch machine: reads the batch and its purges, stores the next state
 * (batch, purges, audit, billed paths) in one conditional commit, reading again if another writer
 * moved them, then returns what to do next. A batch is several records at once, so it is not a
 * `workflow/workflow-step.ts` step (one record each).
 */
export function commitBatchEvent(
  records: RecordStore,
  clock: () => number,
  batchId: string,
  event: (batch: PurgeBatch) => Promise<BatchEvent> | BatchEvent,
) {
  return retryOnConflict(async () => {
    const batch = await records.get("batch", batchId);
    if (!batch) return undefined;
    const purges = (await Promise.all(batch.operationIds.map((id) => records.get("purge", id)))).filter(
      (op): op is PurgeOperation => op !== undefined,
    );
    const now = clock();
    const next = batchTransition(batch, purges, await event(batch), now);
    if (!next) return undefined;
    const writes: RecordWrite[] = [
      { kind: "batch", op: "replace", record: next.batch, expectedVersion: batch.version },
      ...next.purges
        .filter((op, i) => op !== purges[i])
        .map((op) => {
          const before = purges.find((p) => p.id === op.id)!;
          return {
            kind: "purge" as const,
            op: "replace" as const,
            record: op,
            expectedVersion: before.version,
          };
        }),
    ];
    await records.commit(
      {
        writes,
        audit: next.audit,
        ...(next.billPaths !== undefined
          ? {
              billPaths: {
                month: monthOf(now),
                paths: next.billPaths,
                ...(next.billClients ? { byClient: next.billClients } : {}),
              },
            }
          : {}),
      },
      now,
    );
    return { batch: { ...next.batch, version: batch.version + 1 }, effects: next.effects };
  });
}

/**
 * What CloudFront says of a distribution's invalidations in flight: one ListInvalidations for all of
 * them, GetInvalidation only for those missing from its first page. An invalidation CloudFront no
 * longer knows is an Error; one it did not answer for (a timeout, throttling) is absent.
 */
export async function readStatuses(
  deps: { cloudfront: InvalidationGateway; logger: Logger },
  distributionId: string,
  batches: PurgeBatch[],
): Promise<Map<string, string | Error>> {
  const found = new Map<string, string | Error>();
  try {
    for (const inv of await deps.cloudfront.listInvalidations(distributionId)) found.set(inv.id, inv.status);
  } catch (error) {
    deps.logger.warn("ListInvalidations failed", { distributionId, code: describeAwsError(error).code });
  }
  for (const b of batches) {
    const id = b.invalidationId;
    if (!id || found.has(id)) continue;
    try {
      // A tenant's invalidation is its own: never in the distribution's list.
      const inv = b.tenantId
        ? await deps.cloudfront.getTenantInvalidation(b.tenantId, id, distributionId)
        : await deps.cloudfront.getInvalidation(distributionId, id);
      found.set(id, inv.status);
    } catch (error) {
      const problem = describeAwsError(error);
      deps.logger.warn("GetInvalidation failed", { batch: b.id, code: problem.code });
      if (!problem.retryable) found.set(id, error instanceof Error ? error : new Error(problem.explanation));
    }
  }
  return found;
}

/**
 * The paths of the invalidations CloudFront is still working on beside this batch: its
 * distribution's, or its tenant's (a tenant's are counted apart).
 */
export async function pathsInFlight(records: RecordStore, batch: PurgeBatch): Promise<string[]> {
  return (await records.list("batch"))
    .filter(
      (b) =>
        b.id !== batch.id &&
        b.distributionId === batch.distributionId &&
        b.tenantId === batch.tenantId &&
        (b.state === "in-progress" || b.state === "sending"),
    )
    .flatMap((b) => b.paths);
}

/**
 * The batch's invalidation, made with the CallerReference stored with it (a retry after a crash
 * gets the same one): the distribution's, or its tenant's through the tenant's API.
 */
export function createBatchInvalidation(
  cloudfront: InvalidationGateway,
  batch: PurgeBatch,
): Promise<InvalidationInfo> {
  return batch.tenantId
    ? cloudfront.createTenantInvalidation(
        batch.tenantId,
        batch.paths,
        batch.callerReference,
        batch.distributionId,
      )
    : cloudfront.createInvalidation(batch.distributionId, batch.paths, batch.callerReference);
}
