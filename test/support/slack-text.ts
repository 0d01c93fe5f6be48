import type { RecordedCall } from "./fake-slack.js";

/** A recorded message's plain-text fallback: what a screen reader or a notification shows. */
export const text = (c: RecordedCall): string => String(c.body.text ?? "");

/** The id of the approval request a message names ("… request R1A2B3C …"), or a failure saying so. */
export function requestIdIn(message: string): string {
  const id = /request (R[0-9A-Z]{6})/.exec(message)?.[1];
  if (!id) throw new Error(`no approval request id in ${JSON.stringify(message.slice(0, 200))}`);
  return id;
}
