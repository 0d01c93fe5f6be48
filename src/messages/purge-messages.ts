import type { PurgeNote } from "../purge/batch-machine.js";
import { describePreview } from "../purge/purge-preview.js";
import type { PurgeOperation } from "../store/records.js";
import { formatCount } from "../text/plain-text.js";
import { failureText } from "../workflow/failures.js";
import {
  approvedBy,
  code,
  context,
  escapeText,
  formatDuration,
  mention,
  plural,
  type SlackMessage,
  section,
  targetName,
} from "./format.js";

const STATUS_WORD: Record<PurgeOperation["state"], string> = {
  received: "Requested",
  requested: "Requested",
  "in-progress": "InProgress",
  completed: "Completed",
  failed: "Failed",
};

const STATUS_EMOJI: Record<PurgeOperation["state"], string> = {
  received: ":hourglass_flowing_sand:",
  requested: ":hourglass_flowing_sand:",
  "in-progress": ":arrows_counterclockwise:",
  completed: ":white_check_mark:",
  failed: ":x:",
};

export function purgeStatusWord(op: PurgeOperation): string {
  return STATUS_WORD[op.state];
}

function pathList(paths: string[], max = 15): string {
  const shown = paths.slice(0, max).map(code).join(", ");
  return paths.length > max ? `${shown} and ${paths.length - max} more` : shown;
}

/** The message in the channel that heads the purge's thread; updated as the purge moves on. */
export function purgeParentMessage(op: PurgeOperation): SlackMessage {
  const status = purgeStatusWord(op);
  const inv = op.invalidationId ? ` (invalidation ${op.invalidationId})` : "";
  const took =
    op.finishedAt !== undefined && op.createdAt !== undefined
      ? ` in ${formatDuration(op.finishedAt - op.createdAt)}`
      : "";
  // An approved purge's message was its request's: it keeps saying who approved, and when.
  const approved = op.approvedBy?.length ? approvedBy(op.approvedBy) : "";
  const text =
    `Purge of ${escapeText(targetName(op))} (${escapeText(op.distributionId)}) requested by ${mention(op.requestedBy.userId)}${approved ? `, approved by ${approved}` : ""}: ` +
    `${plural(op.paths.length, "path")}. Status: ${status}${took}${escapeText(inv)}.`;
  const lines = [
    `${STATUS_EMOJI[op.state]} *Purge of ${code(targetName(op))}* (${escapeText(op.distributionId)}) requested by ${mention(op.requestedBy.userId)}`,
    ...(approved ? [`*Approved by* ${approved}`] : []),
    `*Status:* ${status}${took}${op.invalidationId ? ` · *Invalidation:* ${code(op.invalidationId)}` : ""}`,
    `*${plural(op.paths.length, "path")}:* ${pathList(op.paths)}`,
    ...(op.preview ? [`*Cost and room:* ${escapeText(describePreview(targetName(op), op.preview))}`] : []),
  ];
  const failed = failureText(op);
  if (op.state === "failed" && failed) lines.push(`*Error:* ${escapeText(failed)}`);
  return { text, blocks: [section(lines.join("\n")), context("Progress is reported in the thread.")] };
}

export function purgeCreatedReply(op: PurgeOperation): SlackMessage {
  const id = op.invalidationId ?? "unknown";
  const text = escapeText(
    `Invalidation ${id} created for ${plural(op.paths.length, "path")} on ${targetName(op)}. Status: InProgress. I will reply here when it is Completed.`,
  );
  const blocks = [
    section(
      `:arrows_counterclockwise: Invalidation ${code(id)} created for ${plural(op.paths.length, "path")}. ` +
        "Status: *InProgress*. I will reply here when it is *Completed*.",
    ),
  ];
  if (op.notes.length > 0) blocks.push(context(escapeText(op.notes.join("\n"))));
  return { text, blocks };
}

export function purgeCompletedReply(op: PurgeOperation): SlackMessage {
  const id = op.invalidationId ?? "unknown";
  const took = formatDuration((op.finishedAt ?? 0) - (op.createdAt ?? op.requestedAt));
  const text = escapeText(
    `Invalidation ${id} Completed in ${took}: ${plural(op.paths.length, "path")} purged from ${targetName(op)}.`,
  );
  return {
    text,
    blocks: [
      section(
        `:white_check_mark: Invalidation ${code(id)} *Completed* in ${took}: ${plural(op.paths.length, "path")} purged from ${code(targetName(op))}.`,
      ),
    ],
  };
}

export function purgeFailedReply(op: PurgeOperation): SlackMessage {
  const inv = op.invalidationId ? ` (invalidation ${op.invalidationId})` : "";
  const error = escapeText(failureText(op) ?? "unknown error");
  const text = `${escapeText(`Purge of ${targetName(op)} Failed${inv}`)}: ${error}`;
  return {
    text,
    blocks: [section(`:x: Purge of ${code(targetName(op))} *Failed*${escapeText(inv)}: ${error}`)],
  };
}

/** A note for a purge's thread, in words: the domain stores only its code and parameters. */
export function purgeNoteText(note: PurgeNote): string {
  switch (note.code) {
    case "queued":
      return `Queued: CloudFront allows ${formatCount(note.allowed)} ${note.paths} paths in progress per distribution and ${formatCount(note.inProgress)} are; this purge starts when room frees up.`;
    case "retrying":
      return `${note.explanation} I will try again.`;
    case "slow-status":
      return "CloudFront is slow to answer about this invalidation; I keep checking and will reply here when it is Completed.";
    case "paced":
      return note.ahead === 0
        ? `Waiting for its turn: CloudFront limits how fast an AWS account may create invalidations; about ${formatCount(note.seconds)} s. Purges asked meanwhile join it.`
        : `Queued behind ${plural(note.ahead, "invalidation")} in this AWS account (CloudFront limits how fast an account may create them): about ${formatCount(note.seconds)} s. Purges asked meanwhile join it.`;
  }
}
