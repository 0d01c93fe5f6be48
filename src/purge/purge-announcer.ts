import type { PurgeOperation } from "../store/records.js";

/** What the purge domain tells people; implemented on the Slack side. */
export interface PurgeAnnouncer {
  /** Posts the channel message that heads the purge's thread; returns its ts. */
  postParent(op: PurgeOperation): Promise<string>;
  refreshParent(op: PurgeOperation): Promise<void>;
  replyCreated(op: PurgeOperation): Promise<void>;
  replyFinal(op: PurgeOperation): Promise<void>;
  replyNote(op: PurgeOperation, note: string): Promise<void>;
}
