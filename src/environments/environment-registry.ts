import type { DistributionDirectory } from "../directory/distribution-directory.js";
import type { Environment } from "../store/records.js";

/** An environment is one of the bot's distributions from its create until its delete. */
export function isRegistered(env: Environment): boolean {
  return env.distributionId !== undefined && env.state !== "deleted" && env.state !== "failed";
}

/**
 * Tells the directory which environments are the bot's distributions now, from the state (so every
 * replica knows them, and a restart keeps them).
 */
export function syncDirectory(directory: DistributionDirectory, environments: readonly Environment[]): void {
  directory.setEnvironments(
    environments.filter(isRegistered).map((env) => ({
      name: env.name,
      distributionId: env.distributionId!,
      template: env.template,
      source: env.source,
    })),
  );
}
