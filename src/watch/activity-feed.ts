export type ActivityEvent = {
  kind: "purge" | "change" | "environment";
  stage: "requested" | "awaiting approval" | "approved" | "completed" | "failed";
  distributionId: string;
  alias: string;
  actorUserId: string;
  channelId: string;
  messageTs?: string;
  summary: string;
};

/** What the domain tells watched channels: every purge, change or environment as it is asked, approved and done. */
export interface ActivityFeed {
  publish(event: ActivityEvent): Promise<void>;
}

export const silentFeed: ActivityFeed = { publish: async () => {} };
