import type { CdnbotConfig } from "../config/config-schema.js";
import { resolveDistribution } from "../config/resolve-distribution.js";
import { UserError } from "../errors.js";
import { quote } from "../text/plain-text.js";
import { type EffectivePolicy, effectivePolicy, type GroupLookup, mayRequest } from "./policy.js";

/** The first step of every purge and change: which distribution, and may this person ask here. */
export async function authorizeRequest(
  deps: { config: CdnbotConfig; membersOf: GroupLookup },
  request: { distribution: string; actor: { userId: string }; channelId: string },
  verb: "purge" | "change",
): Promise<{ target: { alias: string; id: string }; policy: EffectivePolicy }> {
  const target = resolveDistribution(deps.config, request.distribution);
  const policy = effectivePolicy(deps.config, target.alias);
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
