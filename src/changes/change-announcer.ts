import type { ChangeOperation } from "../store/records.js";

/** What a change tells its thread; implemented on the Slack side. */
export interface ChangeAnnouncer {
  postParent(op: ChangeOperation): Promise<string>;
  refreshParent(op: ChangeOperation): Promise<void>;
  replyWritten(op: ChangeOperation): Promise<void>;
  replyFinal(op: ChangeOperation): Promise<void>;
  replyNote(op: ChangeOperation, note: string): Promise<void>;
}
