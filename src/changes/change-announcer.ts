import type { ChangeOperation } from "../store/records.js";
import type { ChangeNote } from "./change-machine.js";

/** What a change tells its thread; implemented on the Slack side. */
export interface ChangeAnnouncer {
  postParent(op: ChangeOperation): Promise<string>;
  refreshParent(op: ChangeOperation): Promise<void>;
  replyWritten(op: ChangeOperation): Promise<void>;
  replyFinal(op: ChangeOperation): Promise<void>;
  /**
   * Whether the final reply is in the thread already (posted before a crash or by another replica,
   * its flag never stored); throws when Slack cannot be read just now.
   */
  findFinal(op: ChangeOperation): Promise<boolean>;
  /** Tells the thread a note, worded on the Slack side. */
  replyNote(op: ChangeOperation, note: ChangeNote): Promise<void>;
}
