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
  const allowed = await mayRequest(
    policy,
    { userId: request.actor.userId, channelId: request.channelId },
    deps.membersOf,
  );
  if (!allowed.allowed) {
    const what = request.tenant ? `${target.alias}/${request.tenant}` : target.alias;
    throw new UserError(`You may not ${verb} ${quote(what)}: ${allowed.reason}. Nothing was sent.`);
  }
  return { target, policy };
}
