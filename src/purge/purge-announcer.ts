import type { PurgeOperation } from "../store/records.js";
import type { PurgeNote } from "./batch-machine.js";

/** What the purge domain tells people; implemented on the Slack side. */
export interface PurgeAnnouncer {
  /** Posts the channel message that heads the purge's thread; returns its ts. */
  postParent(op: PurgeOperation): Promise<string>;
  /**
   * The ts of this purge's parent message or final reply, if an earlier post (cut off by a crash
   * before its ts was stored) reached Slack; throws when Slack cannot be read just now.
   */
  findPosted(op: PurgeOperation, which: "parent" | "final"): Promise<string | undefined>;
  refreshParent(op: PurgeOperation): Promise<void>;
  replyCreated(op: PurgeOperation): Promise<void>;
  replyFinal(op: PurgeOperation): Promise<void>;
  /** Tells the thread a note (queued, retrying, slow news), worded on the Slack side. */
  replyNote(op: PurgeOperation, note: PurgeNote): Promise<void>;
  /**
   * Tells the requester alone why a purge they were told "yes" to was refused after all (a restart
   * checked it, and the command's own reply can no longer be used). Plain text, shown literally.
   */
  tellRequester(op: PurgeOperation, text: string): Promise<void>;
}
