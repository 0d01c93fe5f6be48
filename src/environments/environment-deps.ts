import type { ApprovalDeps } from "../approvals/approval-service.js";
import type { GroupLookup } from "../approvals/policy.js";
import type { CloudFrontGateway } from "../aws/cloudfront-gateway.js";
import type { CdnbotConfig } from "../config/config-schema.js";
import type { DistributionDirectory } from "../directory/distribution-directory.js";
import type { Logger } from "../logger.js";
import type { RecordStore } from "../store/record-store.js";
import type { Exclusive } from "../tracking/exclusive.js";
import type { StatusPace } from "../tracking/status-pacing.js";
import type { Owns } from "../tracking/work-leases.js";
import type { ActivityFeed } from "../watch/activity-feed.js";
import type { EnvironmentAnnouncer } from "./environment-announcer.js";

/** What the environment workflow needs: its store, its gateway, its announcer and its pace. */
export type EnvironmentDeps = {
  config: CdnbotConfig;
  /** The bot's distributions; environments are told to it as they come and go (`environment-registry.ts`). */
  directory: DistributionDirectory;
  records: RecordStore;
  cloudfront: CloudFrontGateway;
  announcer: EnvironmentAnnouncer;
  approvals: ApprovalDeps;
  membersOf: GroupLookup;
  clock: () => number;
  logger: Logger;
  newId: () => string;
  /** The base interval for following deploys; polls space out as a deploy ages. */
  pollMs: number;
  /** How often a new or disabled environment's distribution is asked whether it is Deployed. */
  pace?: StatusPace;
  /** Runs a create's count-and-store alone (`environments.max`, the distributions quota). */
  exclusive: Exclusive;
  activity?: ActivityFeed;
  /** Of several replicas, the holder of an environment's lease creates, follows and deletes it. */
  owns?: Owns;
};

/** The lease an environment's create, deploy and delete are done under. */
export const environmentWorkOf = (id: string) => `environments:${id}`;
