import pLimit from "p-limit";
import { cancelRequest, decide, pendingFor, requestIdSchema } from "../approvals/approval-service.js";
import { reviewsFor } from "../approvals/break-glass.js";
import type { ChangeDeps } from "../changes/change-deps.js";
import { requestChange, requestRollback } from "../changes/change-requests.js";
import { importKeys } from "../changes/key-value-import.js";
import { readKey, readKeys } from "../changes/key-value-stores.js";
import { manageRealtimeLogs } from "../changes/realtime-log-configs.js";
import { showHeaders } from "../changes/response-headers.js";
import { showConfig } from "../changes/show-config.js";
import { decideStaged } from "../changes/staged-decisions.js";
import type { CdnbotConfig } from "../config/config-schema.js";
import {
  listDistributions,
  readDistributionStatus,
  readInvalidationStatus,
} from "../distributions/distribution-status.js";
import { listTenants, showTenant, showTenantAt } from "../distributions/distribution-tenants.js";
import type { EnvironmentDeps } from "../environments/environment-deps.js";
import {
  listEnvironments,
  requestEnvironment,
  requestEnvironmentDeletion,
} from "../environments/environment-requests.js";
import { UserError } from "../errors.js";
import { type AccessLogDeps, showLogging } from "../logs/access-log-report.js";
import { loggingMessage } from "../messages/access-log-messages.js";
import { auditMessage, pendingListMessage } from "../messages/approval-messages.js";
import {
  cacheTagsMessage,
  configMessage,
  headersMessage,
  webAclMessage,
} from "../messages/config-messages.js";
import { environmentListMessage } from "../messages/environment-messages.js";
import type { SlackMessage } from "../messages/format.js";
import { literalMessage } from "../messages/format.js";
import { helpMessage } from "../messages/help-messages.js";
import { incidentSummaryMessage } from "../messages/incident-messages.js";
import { keyListMessage, keyValueMessage } from "../messages/kv-messages.js";
import { realtimeLogMessage } from "../messages/realtime-log-messages.js";
import {
  distributionListMessage,
  distributionStatusMessage,
  invalidationStatusMessage,
} from "../messages/status-messages.js";
import { tenantListMessage, tenantMessage } from "../messages/tenant-messages.js";
import { watchAddedMessage, watchListMessage, watchRemovedMessage } from "../messages/watch-messages.js";
import { type PurgeServiceDeps, processPurge, receivePurge, requestPurge } from "../purge/purge-service.js";
import type { SlackPoster } from "../slack/slack-poster.js";
import { ConflictError } from "../store/record-store.js";
import type { Actor } from "../store/records.js";
import { gatherIncidentFacts } from "../watch/incident-summary.js";
import { addWatch, listWatches, removeWatch, type WatchDeps } from "../watch/watch-service.js";
import { type CdnCommand, COMMAND_USAGE } from "./parse-cdn-command.js";
import { postAccessLogs } from "./post-access-logs.js";
import { postStats } from "./post-stats.js";

export type CommandContext = { actor: Actor; channelId: string };

export type CommandDeps = PurgeServiceDeps & {
  config: CdnbotConfig;
  watch: WatchDeps;
  changes: ChangeDeps;
  environments: EnvironmentDeps;
  /** Where what the channel sees (stats, incident summaries) is posted. */
  poster: SlackPoster;
  accessLogs: AccessLogDeps;
};

/**
 * What must be durable before the command is acknowledged, done now; returns the rest of the
 * command, run after the ack. A purge is stored as received here, so a "yes" survives a crash
 * between the ack and the work; what this refuses (an unknown distribution) is refused in the ack
 * and changes nothing.
 */
export async function prepareCdnCommand(
  deps: CommandDeps,
  command: CdnCommand,
  ctx: CommandContext,
): Promise<() => Promise<SlackMessage | undefined>> {
  if (command.verb !== "purge") return () => runCdnCommand(deps, command, ctx);
  const received = await receivePurge(deps, {
    distribution: command.distribution,
    paths: command.paths,
    ...ctx,
  });
  return async () => {
    try {
      await processing(() => processPurge(deps, received));
    } catch (error) {
      // Another replica's recovery pass took this purge over while it waited here: it is that
      // replica's to carry out and tell, and this requester hears from it, not an error from us.
      if (error instanceof ConflictError && error.id === received.id) return undefined;
      throw error;
    }
    return undefined;
  };
}

/**
 * At most this many received purges are carried out at once: a burst's work then queues behind a
 * few, instead of all of it crowding the event loop that the next requests' acks wait on (under 50
 * concurrent senders this took the ack p50 from 2.9× to 1.4× a bare Bolt app's).
 */
const processing = pLimit(8);

/**
 * Carries out a parsed `/cdn` command after it was acknowledged. Returns what the requester alone
 * should see, if anything; what the channel sees is posted by the domain itself.
 */
export async function runCdnCommand(
  deps: CommandDeps,
  command: CdnCommand,
  ctx: CommandContext,
): Promise<SlackMessage | undefined> {
  // Every verb returns from its case; the compiler checks that none is forgotten.
  switch (command.verb) {
    case "help":
      return helpMessage(COMMAND_USAGE, command.topic);
    case "list":
      return distributionListMessage(
        await listDistributions(deps),
        Object.entries(deps.changes.config.keyValueStores ?? {}).map(([alias, s]) => ({
          alias,
          description: s.description,
        })),
      );
    case "status":
      return statusMessage(deps, command);
    case "purge":
      await requestPurge(deps, { distribution: command.distribution, paths: command.paths, ...ctx });
      return undefined;
    case "pending":
      return pendingListMessage(
        await pendingFor(deps.approvals, ctx.actor),
        await reviewsFor(deps.approvals, ctx.actor),
      );
    case "cancel":
      return literalMessage(
        await cancelRequest(deps.approvals, checkedRequestId(command.requestId), ctx.actor),
      );
    case "reject":
      return literalMessage(
        await decide(deps.approvals, {
          requestId: checkedRequestId(command.requestId),
          actor: ctx.actor,
          channelId: ctx.channelId,
          verdict: "reject",
          ...(command.reason ? { reason: command.reason } : {}),
        }),
      );
    case "audit":
      return auditLogMessage(deps, command);
    case "stats":
      await postStats(
        { ...deps.watch, poster: deps.poster, distributions: deps.distributions },
        {
          distribution: command.distribution,
          ...(command.window ? { window: command.window } : {}),
          ...ctx,
        },
      );
      return undefined;
    case "logs":
      // In the channel, as `/cdn stats` is; whole client addresses only in a reply to the asker.
      return postAccessLogs(deps, {
        distribution: command.distribution,
        ...(command.window ? { window: command.window } : {}),
        filter: command.filter,
        ...ctx,
      });
    case "watch":
      return watchAddedMessage(
        await addWatch(deps.watch, {
          distribution: command.distribution,
          channelId: command.channelId ?? ctx.channelId,
          thresholds: command.thresholds,
          actor: ctx.actor,
        }),
      );
    case "unwatch":
      return watchRemovedMessage(
        await removeWatch(deps.watch, command.distribution, command.channelId ?? ctx.channelId, ctx.actor),
      );
    case "watches":
      return watchListMessage(await listWatches(deps.watch));
    case "env":
      return runEnvCommand(deps, command, ctx);
    case "incident": {
      const facts = await gatherIncidentFacts(
        { ...deps.watch, cloudfront: deps.cloudfront },
        command.distribution,
      );
      await deps.poster.post(ctx.channelId, incidentSummaryMessage(facts));
      return undefined;
    }
    case "tenants":
      return command.tenant
        ? tenantMessage(await showTenant(deps.changes, command.distribution, command.tenant))
        : tenantListMessage(await listTenants(deps.changes, command.distribution));
    case "change":
      return literalMessage(
        await requestChange(deps.changes, {
          distribution: command.distribution,
          spec: command.spec,
          ...(command.staged ? { staged: command.staged } : {}),
          ...(command.reason ? { reason: command.reason } : {}),
          ...(command.breakGlass ? { breakGlass: command.breakGlass } : {}),
          ...ctx,
        }),
      );
    case "promote":
    case "abort":
      return literalMessage(
        await decideStaged(
          deps.changes,
          command.changeId,
          command.verb,
          ctx.actor,
          ctx.channelId,
          command.verb === "abort" ? command.reason : undefined,
        ),
      );
    case "rollback":
      return literalMessage(
        await requestRollback(
          deps.changes,
          command.changeId,
          ctx.actor,
          ctx.channelId,
          command.reason ? { reason: command.reason } : {},
        ),
      );
    case "config":
      // A tenant's settings are its own: its state, domains, parameters and web ACL.
      if (command.distribution.includes("/"))
        return tenantMessage(await showTenantAt(deps.changes, command.distribution));
      if (command.section === "logging")
        return loggingMessage(await showLogging(deps.accessLogs, command.distribution));
      if (command.section === "cache-tags")
        return cacheTagsMessage(await showConfig(deps.changes, command.distribution));
      if (command.section === "waf")
        return webAclMessage(await showConfig(deps.changes, command.distribution));
      if (command.section === "headers")
        return headersMessage(await showHeaders(deps.changes, command.distribution, command.behavior));
      return configMessage(await showConfig(deps.changes, command.distribution, command.behavior));
    case "kv":
      if (command.action === "import")
        return literalMessage(
          await importKeys(deps.changes, { store: command.store, url: command.url, ...ctx }),
        );
      return command.action === "get"
        ? keyValueMessage(await readKey(deps.changes, command.store, command.key))
        : keyListMessage(await readKeys(deps.changes, command.store, command.prefix));
    case "realtime-logs":
      return realtimeLogMessage(await manageRealtimeLogs(deps.changes, command, ctx.actor, ctx.channelId));
    default: {
      const unhandled: never = command;
      throw new Error(`unhandled command ${JSON.stringify(unhandled)}`);
    }
  }
}

/** `/cdn status <distribution> [invalidation]`: the distribution now, or one invalidation. */
async function statusMessage(deps: CommandDeps, command: Extract<CdnCommand, { verb: "status" }>) {
  if (command.distribution.includes("/") && !command.invalidationId)
    return tenantMessage(await showTenantAt(deps.changes, command.distribution));
  if (command.invalidationId) {
    const found = await readInvalidationStatus(deps, command.distribution, command.invalidationId);
    return invalidationStatusMessage(found.alias, found.distributionId, found.invalidation, deps.clock());
  }
  const found = await readDistributionStatus(deps, command.distribution);
  return distributionStatusMessage(found.alias, found.dist, found.invalidations, deps.clock());
}

/** `/cdn audit [distribution] [limit]`: the newest entries of the log. */
async function auditLogMessage(deps: CommandDeps, command: Extract<CdnCommand, { verb: "audit" }>) {
  const target = command.distribution ? deps.directory.resolve(command.distribution) : undefined;
  // Newest first from the log, and shown so: a list too long for Slack loses its oldest.
  const newest = await deps.records.audit.query({
    limit: command.limit,
    ...(target ? { distributionId: target.id } : {}),
  });
  return auditMessage(newest, target ? `for ${target.alias}` : "for all distributions");
}

function checkedRequestId(id: string): string {
  if (!requestIdSchema.safeParse(id).success) {
    throw new UserError(
      `\`${id.slice(0, 20)}\` is not a request id; they look like R7K2M9Q. \`/cdn pending\` lists yours.`,
    );
  }
  return id;
}

async function runEnvCommand(
  deps: CommandDeps,
  command: Extract<CdnCommand, { verb: "env" }>,
  ctx: CommandContext,
): Promise<SlackMessage> {
  switch (command.action) {
    case "list":
      return environmentListMessage(
        await listEnvironments(deps.environments),
        Object.keys(deps.config.environments?.templates ?? {}),
      );
    case "create":
      return literalMessage(
        await requestEnvironment(deps.environments, {
          template: command.template,
          name: command.name,
          origin: command.origin,
          ...(command.alias ? { alias: command.alias } : {}),
          ...ctx,
        }),
      );
    case "delete":
      return literalMessage(
        await requestEnvironmentDeletion(deps.environments, { name: command.name, ...ctx }),
      );
  }
}
