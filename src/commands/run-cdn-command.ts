import type { CdnbotConfig } from "../config/config-schema.js";
import {
  listDistributions,
  showDistributionStatus,
  showInvalidationStatus,
} from "../distributions/distribution-status.js";
import type { SlackMessage } from "../messages/format.js";
import { helpMessage } from "../messages/help-messages.js";
import { type PurgeServiceDeps, requestPurge } from "../purge/purge-service.js";
import type { Actor } from "../store/records.js";
import type { CdnCommand } from "./parse-cdn-command.js";

export type CommandContext = { actor: Actor; channelId: string };

export type CommandDeps = PurgeServiceDeps & { config: CdnbotConfig };

/**
 * Carries out a parsed `/cdn` command after it was acknowledged. Returns what the requester alone
 * should see, if anything; what the channel sees is posted by the domain itself.
 */
export async function runCdnCommand(
  deps: CommandDeps,
  command: CdnCommand,
  ctx: CommandContext,
): Promise<SlackMessage | undefined> {
  switch (command.verb) {
    case "help":
      return helpMessage(command.topic);
    case "list":
      return listDistributions(deps);
    case "status":
      return command.invalidationId
        ? showInvalidationStatus(deps, command.distribution, command.invalidationId)
        : showDistributionStatus(deps, command.distribution);
    case "purge":
      await requestPurge(deps, { distribution: command.distribution, paths: command.paths, ...ctx });
      return undefined;
  }
}
