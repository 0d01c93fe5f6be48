import type { WebClient } from "@slack/web-api";
import type { GroupLookup } from "../approvals/policy.js";
import { UserError } from "../errors.js";

/** User-group members from Slack, cached briefly so a burst of clicks makes one call per group. */
export function createSlackGroupLookup(client: WebClient, clock: () => number, ttlMs = 60_000): GroupLookup {
  const cache = new Map<string, { at: number; users: Promise<string[]> }>();
  return (groupId) => {
    const hit = cache.get(groupId);
    if (hit && clock() - hit.at < ttlMs) return hit.users;
    const users = client.usergroups.users
      .list({ usergroup: groupId })
      .then((res) => res.users ?? [])
      .catch((error: unknown) => {
        cache.delete(groupId);
        const slackError = (error as { data?: { error?: string } }).data?.error ?? "no answer";
        throw new UserError(
          `I could not read the members of user group ${groupId} from Slack (${slackError}), so I cannot check this permission. An operator should check the group id and the bot's usergroups:read scope.`,
        );
      });
    cache.set(groupId, { at: clock(), users });
    return users;
  };
}
