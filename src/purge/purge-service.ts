import { describeAwsError } from "../aws/aws-errors.js";
import type { DistributionInfo } from "../aws/cloudfront-gateway.js";
import type { CdnbotConfig } from "../config/config-schema.js";
import { resolveDistribution } from "../config/resolve-distribution.js";
import { UserError } from "../errors.js";
import { code } from "../messages/format.js";
import type { Actor, PurgeOperation } from "../store/records.js";
import { type PathNote, planPaths } from "./invalidation-paths.js";
import { type PurgeLifecycleDeps, sendInvalidation, updateOperation } from "./purge-lifecycle.js";

export type PurgeServiceDeps = PurgeLifecycleDeps & {
  config: CdnbotConfig;
  newId: () => string;
};

export type PurgeRequest = { distribution: string; paths: string[]; actor: Actor; channelId: string };

/** Reads the distribution, turning AWS failures into words for the requester. */
export async function readDistribution(deps: PurgeServiceDeps, id: string): Promise<DistributionInfo> {
  try {
    return await deps.cloudfront.getDistribution(id);
  } catch (error) {
    const problem = describeAwsError(error);
    deps.logger.warn("GetDistribution failed", { distributionId: id, code: problem.code });
    throw new UserError(`I could not read distribution ${id}: ${problem.explanation}`);
  }
}

export function describePathNote(note: PathNote): string {
  switch (note.reason) {
    case "url-converted":
      return `${code(note.input)} was turned into its path ${code(note.path)}.`;
    case "encoded":
      return `${code(note.input)} was URL-encoded to ${code(note.path)}, as CloudFront expects.`;
    case "duplicate-dropped":
      return `${code(note.input)} was given more than once; it is purged once.`;
    case "covered-by-wildcard":
      return `${code(note.input)} is already covered by a wildcard in this purge, so it was left out.`;
  }
}

/**
 * Validates a purge, opens its thread and sends its invalidation. Everything that can be refused is
 * refused before anything reaches AWS; the intent is stored before CreateInvalidation is called.
 */
export async function requestPurge(deps: PurgeServiceDeps, request: PurgeRequest): Promise<PurgeOperation> {
  const target = resolveDistribution(deps.config, request.distribution);
  const needsHosts = request.paths.some((p) => /^https?:\/\//i.test(p));
  const dist = needsHosts ? await readDistribution(deps, target.id) : undefined;
  const plan = planPaths(request.paths, { domainName: dist?.domainName ?? "", aliases: dist?.aliases ?? [] });

  const id = deps.newId();
  const op: PurgeOperation = {
    id,
    kind: "purge",
    alias: target.alias,
    distributionId: target.id,
    paths: plan.paths,
    callerReference: `cdnbot-${id}`,
    requestedBy: request.actor,
    channelId: request.channelId,
    state: "requested",
    requestedAt: deps.clock(),
    notes: plan.notes.map(describePathNote),
    announced: { created: false, final: false },
  };
  await deps.store.update((data) => {
    data.operations.push(op);
  });
  let messageTs: string;
  try {
    messageTs = await deps.announcer.postParent(op);
  } catch (error) {
    // No thread, no purge: withdraw the intent so nothing reaches AWS.
    await deps.store.update((data) => {
      data.operations = data.operations.filter((o) => o.id !== id);
    });
    throw error;
  }
  const posted = await updateOperation(deps.store, id, { messageTs });
  return sendInvalidation(deps, posted);
}
