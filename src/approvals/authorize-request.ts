import type { CdnbotConfig } from "../config/config-schema.js";
import type { DistributionDirectory, ManagedDistribution } from "../directory/distribution-directory.js";
import { UserError } from "../errors.js";
import { quote } from "../text/plain-text.js";
import { type EffectivePolicy, effectivePolicy, type GroupLookup, mayRequest } from "./policy.js";

/** The first step of every purge and change: which distribution, and may this person ask here. */
export async function authorizeRequest(
  deps: { config: CdnbotConfig; directory: DistributionDirectory; membersOf: GroupLookup },
  request: { distribution: string; actor: { userId: string }; channelId: string },
  verb: "purge" | "change",
): Promise<{ target: ManagedDistribution; policy: EffectivePolicy }> {
  const target = deps.directory.resolve(request.distribution);
  const policy = effectivePolicy(deps.config.policy, target.policy);
  const allowed = await mayRequest(
    policy,
    { userId: request.actor.userId, channelId: request.channelId },
    deps.membersOf,
  );
  if (!allowed.allowed) {
    throw new UserError(`You may not ${verb} ${quote(target.alias)}: ${allowed.reason}. Nothing was sent.`);
  }
  return { target, policy };
}
