import type { Watch, WatchedMetric } from "../store/records.js";
import type { ActivityEvent } from "./activity-feed.js";
import type { AlertNotice } from "./alert-rules.js";

/** What watched channels are told; implemented on the Slack side. */
export interface WatchAnnouncer {
  /** The first message in a newly watched channel; it fails (not in channel) before anything is stored. */
  greet(watch: Watch, setUpBy: string): Promise<void>;
  /** A purge or change on a watched distribution, told to each watching channel with a link to its thread. */
  activity(watchers: readonly Watch[], event: ActivityEvent): Promise<void>;
  alert(
    watch: Watch,
    metric: WatchedMetric,
    threshold: number,
    notice: AlertNotice,
    points: { at: number; value: number }[],
    /** What happened to the distribution over those readings (its purges and deploys). */
    marks?: { at: number; label: string }[],
  ): Promise<void>;
}
