import type { ApprovalDeps } from "../approvals/approval-service.js";
import type { GroupLookup } from "../approvals/policy.js";
import type { AccessLogGateway } from "../aws/access-log-calls.js";
import type { CloudFrontGateway } from "../aws/cloudfront-gateway.js";
import type { CloudWatchGateway } from "../aws/cloudwatch-gateway.js";
import type { CdnbotConfig } from "../config/config-schema.js";
import type { DistributionDirectory } from "../directory/distribution-directory.js";
import type { Logger } from "../logger.js";
import type { RecordStore } from "../store/record-store.js";
import type { CallPacer } from "../tracking/call-pacer.js";
import type { StatusPace } from "../tracking/status-pacing.js";
import type { Owns } from "../tracking/work-leases.js";
import type { ActivityFeed } from "../watch/activity-feed.js";
import type { ChangeAnnouncer } from "./change-announcer.js";

/** What the change workflow needs: its store, its gateways, its announcer and its pace. */
export type ChangeDeps = {
  config: CdnbotConfig;
  directory: DistributionDirectory;
  records: RecordStore;
  cloudfront: CloudFrontGateway;
  /** Logging v2: the distribution's access log deliveries, read and made through CloudWatch Logs. */
  accessLogs?: AccessLogGateway;
  /** A staged change's soak reads both sides' metrics; without it, a soak sees no figures. */
  cloudwatch?: CloudWatchGateway;
  announcer: ChangeAnnouncer;
  approvals: ApprovalDeps;
  membersOf: GroupLookup;
  clock: () => number;
  logger: Logger;
  newId: () => string;
  /** The base interval for following deploys; polls space out as a deploy ages. */
  pollMs: number;
  /** How often a deploy's distribution is asked about it, and what its deploys took before. */
  pace?: StatusPace;
  /**
   * UpdateDistribution's pace per distribution (CloudFront throttles it after a few a minute):
   * a change whose turn has not come waits, written, and its thread told, when it has.
   */
  writePacer?: CallPacer;
  activity?: ActivityFeed;
  /**
   * Of several replicas, the one holding a distribution's change lease writes and follows its
   * changes (`tracking/work-leases.ts`); without it, this process does all of it.
   */
  owns?: Owns;
};

/** The lease a distribution's changes are written and followed under. */
export const changeWorkOf = (distributionId: string) => `changes:${distributionId}`;
