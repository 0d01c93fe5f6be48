import { UserError } from "../errors.js";
import { quote } from "../text/plain-text.js";
import type { CdnbotConfig } from "./config-schema.js";

export type ResolvedDistribution = { alias: string; id: string };

/**
 * Finds a configured distribution by alias or by id; anything else is refused, naming those the
 * asker may use (`mayName`: an API client sees its own, never the rest of the config).
 */
export function resolveDistribution(
  config: CdnbotConfig,
  nameOrId: string,
  mayName: (alias: string) => boolean = () => true,
): ResolvedDistribution {
  const entries = Object.entries(config.distributions);
  const byAlias = entries.find(([alias]) => alias.toLowerCase() === nameOrId.toLowerCase());
  if (byAlias) return { alias: byAlias[0], id: byAlias[1].id };
  const byId = entries.find(([, d]) => d.id === nameOrId.toUpperCase());
  if (byId) return { alias: byId[0], id: byId[1].id };
  const known = entries
    .filter(([alias]) => mayName(alias))
    .map(([alias, d]) => `${quote(alias)} (${d.id})`)
    .join(", ");
  throw new UserError(
    `${quote(nameOrId)} is not a distribution I know. ${known ? `I may act on: ${known}.` : "None of mine is open to you."} ` +
      "An operator can add more in the bot's config file.",
  );
}

/**
 * The role to assume for a distribution that lives in another account, by distribution id: read from
 * the config when asked, so environments the bot adds later are found too.
 */
export function distributionRoles(config: CdnbotConfig): {
  get(distributionId: string): { roleArn: string; externalId?: string } | undefined;
} {
  return {
    get(distributionId) {
      const d = Object.values(config.distributions).find((entry) => entry.id === distributionId);
      if (!d?.roleArn) return undefined;
      return { roleArn: d.roleArn, ...(d.externalId ? { externalId: d.externalId } : {}) };
    },
  };
}
