import type { CdnbotConfig } from "../config/config-schema.js";
import type { DistributionDirectory, ManagedDistribution } from "../directory/distribution-directory.js";
import { UserError } from "../errors.js";
import { quote } from "../text/plain-text.js";
import { type EffectivePolicy, effectivePolicy, type GroupLookup, mayRequest } from "./policy.js";

/** The first step of every purge and change: which distribution, and may this person ask here. */
export async function authorizeRequest(
  deps: { config: CdnbotConfig; directory: DistributionDirectory; membersOf: GroupLookup },
  request: { distribution: string; tenant?: string; actor: { userId: string }; channelId: string },
  verb: "purge" | "change",
): Promise<{ target: ManagedDistribution; policy: EffectivePolicy }> {
  const target = deps.directory.resolve(request.distribution);
  // A tenant's request follows the tenant's policy where the config gives it one.
  const policy = effectivePolicy(deps.config.policy, deps.directory.policyOf(target, request.tenant));
  const what = request.tenant ? `${target.alias}/${request.tenant}` : target.alias;
  await mayAsk(deps, policy, request, `${verb} ${quote(what)}`);
  return { target, policy };
}

/** Whether this person, in this channel, may ask for what the policy governs; a refusal says why. */
export async function mayAsk(
  deps: { membersOf: GroupLookup },
  policy: EffectivePolicy,
  request: { actor: { userId: string }; channelId: string },
  what: string,
): Promise<void> {
  const allowed = await mayRequest(
    policy,
    { userId: request.actor.userId, channelId: request.channelId },
    deps.membersOf,
  );
  if (!allowed.allowed) throw new UserError(`You may not ${what}: ${allowed.reason}. Nothing was sent.`);
}
