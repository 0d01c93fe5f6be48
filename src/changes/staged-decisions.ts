import { authorizeRequest } from "../approvals/authorize-request.js";
import { mayApprove, needsApproval } from "../approvals/policy.js";
import { UserError } from "../errors.js";
import { clientOf } from "../store/actors.js";
import type { Actor } from "../store/records.js";
import { quote } from "../text/plain-text.js";
import { ownedAmong } from "../tracking/work-leases.js";
import { type ChangeDeps, changeWorkOf } from "./change-deps.js";
import { applyEvent } from "./change-steps.js";
import { withDistributionLock } from "./change-writer.js";
import { advanceStaged } from "./staged-runner.js";

/**
 * `/cdn promote <change>` and `/cdn abort <change> [reason]`: a person decides a staged change early,
 * or once its soak passed. Promotion is approval as the distribution's policy says it (four eyes
 * where changes need approval: the requester may not promote their own); anyone who may ask for
 * changes to it may abort, the safe way back.
 */
export async function decideStaged(
  deps: ChangeDeps,
  changeId: string,
  kind: "promote" | "abort",
  actor: Actor,
  channelId: string,
  reason?: string,
): Promise<string> {
  const op =
    (await deps.records.get("change", changeId.toUpperCase())) ??
    (await deps.records.get("change", changeId));
  if (!op && (await deps.records.get("approval", changeId.toUpperCase())))
    throw new UserError(
      `Change ${changeId.toUpperCase()} waits for approval: it is staged once approved, and may be promoted or aborted once it serves its share. To drop it now, reject or withdraw the request.`,
    );
  if (!op)
    throw new UserError(
      `There is no change ${quote(changeId.slice(0, 40))}. Change ids are in each change's message.`,
    );
  if (!op.staged)
    throw new UserError(
      `Change ${op.id} is not staged: it was written to ${op.alias} directly. \`/cdn rollback ${op.id}\` proposes its inverse.`,
    );
  if (op.state === "deployed" || op.state === "deploying" || op.state === "failed")
    throw new UserError(
      `Change ${op.id} is past that: it was ${op.state === "failed" ? "pulled back" : "promoted"} already. Nothing was changed.`,
    );
  const phase = op.staged.phase;
  if (op.state === "writing" || phase === "deploying")
    throw new UserError(
      `Change ${op.id} is not serving yet (its staging copy is ${op.state === "writing" ? "being set up" : "deploying"}); ${kind === "promote" ? "promote it once it has served its share" : "abort it once it serves, in a few minutes"}. Nothing was changed.`,
    );
  if (phase === "promoting" || phase === "pulling-back")
    throw new UserError(
      `Change ${op.id} is being ${phase === "promoting" ? "promoted" : "pulled back"} already. Nothing was changed.`,
    );
  const { policy } = await authorizeRequest(deps, { distribution: op.alias, actor, channelId }, "change");
  if (kind === "promote" && needsApproval(policy, "change")) {
    const may = await mayApprove(policy, op, actor.userId, deps.membersOf);
    if (!may.allowed) throw new UserError(`${may.reason} Nothing was changed.`);
  }
  const client = clientOf(actor.userId);
  const who = client ? `API client ${client.name}` : "a person";
  const decided = await applyEvent(deps, op.id, {
    type: "decided",
    verdict: {
      kind,
      at: deps.clock(),
      by: actor,
      ...(kind === "abort" ? { reason: `asked by ${who}${reason ? `: ${reason}` : ""}` } : {}),
    },
  });
  if (decided?.staged?.verdict?.at === undefined || decided.staged.verdict.by?.userId !== actor.userId)
    throw new UserError(
      `Change ${op.id} moved on meanwhile; nothing was changed. \`/cdn status ${op.alias}\` says where it is.`,
    );
  // The lease holder carries it out at once (another replica at its next pass).
  if ((await ownedAmong([op.distributionId], changeWorkOf, deps.owns)).size)
    await withDistributionLock(op.distributionId, () => advanceStaged(deps, op.id));
  return kind === "promote"
    ? `Promoting change ${op.id}: the staging copy's config goes onto ${op.alias}. Its thread follows it to Deployed.`
    : `Aborting change ${op.id}: all traffic goes back to ${op.alias}, which was never written.`;
}
