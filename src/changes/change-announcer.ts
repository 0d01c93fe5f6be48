import type { ChangeOperation } from "../store/records.js";
import type { ChangeNote } from "./change-machine.js";

/** What a change tells its thread; implemented on the Slack side. */
export interface ChangeAnnouncer {
  postParent(op: ChangeOperation): Promise<string>;
  refreshParent(op: ChangeOperation): Promise<void>;
  replyWritten(op: ChangeOperation): Promise<void>;
  replyFinal(op: ChangeOperation): Promise<void>;
  /** Tells the thread a note, worded on the Slack side. */
  replyNote(op: ChangeOperation, note: ChangeNote): Promise<void>;
}
