import type { PurgeOperation } from "../store/records.js";
import type { PurgeNote } from "./batch-machine.js";

/** What the purge domain tells people; implemented on the Slack side. */
export interface PurgeAnnouncer {
  /** Posts the channel message that heads the purge's thread; returns its ts. */
  postParent(op: PurgeOperation): Promise<string>;
  refreshParent(op: PurgeOperation): Promise<void>;
  replyCreated(op: PurgeOperation): Promise<void>;
  replyFinal(op: PurgeOperation): Promise<void>;
  /** Tells the thread a note (queued, retrying, slow news), worded on the Slack side. */
  replyNote(op: PurgeOperation, note: PurgeNote): Promise<void>;
}
