import { describeBlastRadius, describePolicyCopy } from "../changes/cache-policy-change.js";
import type { ChangeNote } from "../changes/change-machine.js";
import { diffLines } from "../changes/describe-change.js";
import { describeIacOwner } from "../changes/iac-ownership.js";
import { shareOf } from "../changes/staged-machine.js";
import type { IacOwner } from "../store/change-spec.js";
import type { ChangeOperation } from "../store/records.js";
import { quote } from "../text/plain-text.js";
import { failureText } from "../workflow/failures.js";
import {
  approvedBy,
  code,
  context,
  escapeText,
  formatDuration,
  formatTime,
  mention,
  type SlackMessage,
  section,
  targetName,
} from "./format.js";

const STATE_WORD: Record<ChangeOperation["state"], string> = {
  writing: "Writing",
  staged: "Staged",
  deploying: "InProgress",
  deployed: "Deployed",
  failed: "Failed",
};

/**
 * What a change carries beside its writes, as plain sentences (escaped): infrastructure as code owns
 * the distribution; the requester's reason.
 */
export function changeContextLines(
  change: { iac?: IacOwner; reason?: string; breakGlass?: { reason: string } },
  alias: string,
): { text: string; markdown: string }[] {
  const lines: { text: string; markdown: string }[] = [];
  if (change.breakGlass) {
    const said =
      "Break-glass: run at once, without the approval its policy wants; an approver reviews it after.";
    lines.push({ text: said, markdown: `:rotating_light: *${said}*` });
  }
  if (change.iac) {
    const said = escapeText(describeIacOwner(change.iac, alias));
    lines.push({ text: said, markdown: `:building_construction: ${said}` });
  }
  if (change.reason) {
    const reason = escapeText(quote(change.reason));
    lines.push({ text: `Reason: ${reason}.`, markdown: `*Reason:* ${reason}` });
  }
  return lines;
}

export function changeParentMessage(op: ChangeOperation): SlackMessage {
  const word = STATE_WORD[op.state];
  const failed = failureText(op);
  const took =
    op.finishedAt !== undefined && op.writtenAt !== undefined
      ? ` in ${formatDuration(op.finishedAt - op.writtenAt)}`
      : "";
  const lines = diffLines(op.diffs).map(escapeText);
  const rollback = op.spec.kind === "rollback" ? ` (rolls back ${escapeText(op.spec.of)})` : "";
  const said = changeContextLines(op, op.alias);
  // The request's message became this one: it keeps saying who approved, and when.
  const approved = op.approvedBy?.length ? approvedBy(op.approvedBy) : "";
  const text = `Change ${op.id}${rollback} to ${escapeText(targetName(op))} (${escapeText(op.distributionId)}) by ${mention(op.requestedBy.userId)}${approved ? `, approved by ${approved}` : ""}: ${lines.join("; ")}. Status: ${word}${took}.${op.staged ? ` Staged: ${escapeText(shareOf(op.staged))}${op.staged.phase && op.state === "staged" ? ` (${op.staged.phase})` : ""}.` : ""}${op.policy ? ` ${escapeText(describeBlastRadius(op.policy))}` : op.policyCopy ? ` ${escapeText(describePolicyCopy(op.policyCopy))}` : ""}${said.map((l) => ` ${l.text}`).join("")}`;
  return {
    text,
    blocks: [
      section(
        `:gear: *Change ${code(op.id)}${rollback} to ${code(targetName(op))}* (${escapeText(op.distributionId)}) by ${mention(op.requestedBy.userId)}${approved ? `\n*Approved by* ${approved}` : ""}\n*Status:* ${word}${took}${failed ? `\n*Error:* ${escapeText(failed)}` : ""}`,
      ),
      section(
        `${lines.map((l) => `• ${l}`).join("\n")}${op.policy ? `\n:warning: ${escapeText(describeBlastRadius(op.policy))}` : op.policyCopy ? `\n${escapeText(describePolicyCopy(op.policyCopy))}` : ""}`,
      ),
      ...(op.staged ? [section(stagedLines(op).join("\n"))] : []),
      ...(said.length > 0 ? [section(said.map((l) => l.markdown).join("\n"))] : []),
      // Only a change that reached CloudFront has anything to roll back.
      ...(op.writtenAt !== undefined
        ? [context(`\`/cdn rollback ${op.id}\` proposes the inverse change.`)]
        : []),
    ],
  };
}

export function changeWrittenReply(op: ChangeOperation): SlackMessage {
  const text = escapeText(
    op.policyCreate
      ? `Change ${op.id}: response headers policy ${op.policyCreate.name} created. Nothing uses it yet: attach it with /cdn headers ${op.alias} ${op.policyCreate.name}.`
      : op.keyValueStore
        ? `Change ${op.id} written to key-value store ${op.alias} (UpdateKeys, with the store's ETag read just before).`
        : op.logDelivery
          ? `Change ${op.id} written: ${deliveryWords(op)} (CloudWatch Logs, with the deliveries read just before).`
          : op.policy
            ? `Change ${op.id} written to ${op.policy.kind === "response-headers" ? "response headers" : "cache"} policy ${op.policy.name}. Status: InProgress while CloudFront deploys it to the ${op.policy.distributionIds.length === 1 ? "distribution" : `${op.policy.distributionIds.length} distributions`} using it (usually 5 to 20 minutes); I will reply here when they are all Deployed.`
            : `Change ${op.id} written to ${targetName(op)}. Status: InProgress while CloudFront deploys it (usually 5 to 20 minutes); I will reply here when it is Deployed.`,
  );
  return { text, blocks: [section(`:arrows_counterclockwise: ${text}`)] };
}

export function changeFinalReply(op: ChangeOperation): SlackMessage {
  if (op.state === "deployed") {
    const took = formatDuration((op.finishedAt ?? 0) - (op.writtenAt ?? op.requestedAt));
    const text = escapeText(
      op.policyCreate
        ? `Change ${op.id} is done: response headers policy ${op.policyCreate.name} exists, ready to attach.`
        : op.keyValueStore
          ? `Change ${op.id} is live: key-value store ${op.alias} holds the new values, and CloudFront's functions read them at every edge location within seconds.`
          : op.logDelivery
            ? `Change ${op.id} is live: ${deliveryWords(op)}. CloudFront delivers access logs minutes after the requests: the first files come within the hour.`
            : op.policy
              ? `Change ${op.id} is Deployed on every distribution using ${op.policy.kind === "response-headers" ? "response headers" : "cache"} policy ${op.policy.name} (${op.policy.distributionIds.length}): live at every edge location, ${took} after it was written.`
              : `Change ${op.id} is Deployed on ${targetName(op)}: live at every edge location, ${took} after it was written.`,
    );
    return { text, blocks: [section(`:white_check_mark: ${text}`)] };
  }
  const text = escapeText(
    `Change ${op.id} to ${targetName(op)} Failed: ${failureText(op) ?? "unknown error"}`,
  );
  return { text, blocks: [section(`:x: ${text}`)] };
}

/** A note for a change's thread, in words: the domain stores only its code. */
export function changeNoteText(note: ChangeNote): string {
  switch (note.code) {
    case "retrying":
      return `${note.explanation} I will try again.`;
    case "already-had":
      return "The distribution already had these settings; nothing needed writing.";
    case "paced":
      return `CloudFront takes only a few changes a minute to one distribution, so this one waits its turn: it is written in about ${note.seconds} s, from the settings read just before.`;
    case "staged-serving":
      return `The staging copy serves its share now. I compare its 5xx and 4xx rates and origin latency with the primary's until ${formatTime(note.soakUntil)}, and pull it back at once if it does worse.`;
    case "soak-passed":
      return note.auto
        ? "The soak passed: the staging copy did as well as the primary. Promoting it, as this distribution's settings say."
        : "The soak passed: the staging copy did as well as the primary. `/cdn promote` puts it on the primary; `/cdn abort` takes it back.";
    case "pulling-back":
      return note.because === "breach"
        ? `Pulling it back: ${note.detail}. The policy goes off, so all traffic goes back to the primary.`
        : `Aborting: ${note.detail}. The policy goes off, so all traffic goes back to the primary.`;
    case "promoting":
      return note.by
        ? `Promotion asked by ${mention(note.by)}: the staging config goes onto the primary, with both ETags read just before.`
        : "Promoting: the staging config goes onto the primary, with both ETags read just before.";
    case "promoted":
      return "Promoted: the primary has the staging copy's config (UpdateDistributionWithStagingConfig), and the policy is off. Status: InProgress while the primary deploys it; I will reply here when it is Deployed.";
  }
}

/** A staged change's progress for its parent message: its share, its phase, both sides' figures. */
export function stagedLines(op: ChangeOperation): string[] {
  const run = op.staged;
  if (!run) return [];
  const phase = run.phase
    ? {
        deploying: "deploying to both",
        soaking: `soaking until ${formatTime(run.soakUntil ?? 0)}`,
        "awaiting-promotion": "soak passed: `/cdn promote` or `/cdn abort`",
        promoting: "promoting",
        "pulling-back": "pulling back",
      }[run.phase]
    : "setting up the staging copy";
  const lines = [
    `*Staged:* ${escapeText(shareOf(run))} to ${run.stagingId ? code(run.stagingId) : "a staging copy"}, ${op.state === "staged" || op.state === "writing" ? phase : op.state === "failed" ? "pulled back" : "promoted"}`,
  ];
  const f = run.figures;
  if (f) {
    const pct = (v?: number) => (v === undefined ? "–" : `${v.toFixed(2)}%`);
    const ms = (v?: number) => (v === undefined ? "–" : `${Math.round(v)} ms`);
    lines.push(
      `staging vs primary at ${formatTime(f.at)}: 5xx ${pct(f["5xxErrorRate"].staging)} vs ${pct(f["5xxErrorRate"].primary)} · 4xx ${pct(f["4xxErrorRate"].staging)} vs ${pct(f["4xxErrorRate"].primary)} · origin latency ${ms(f.OriginLatency.staging)} vs ${ms(f.OriginLatency.primary)}`,
    );
  }
  return lines;
}

/** Where a logging v2 change sends the access logs now, in words. */
function deliveryWords(op: ChangeOperation): string {
  const to = op.diffs.find((d) => d.path === "delivery.Destination")?.after;
  return typeof to === "string" && to
    ? `${op.alias}'s access logs go to ${to} (logging v2)`
    : `${op.alias}'s access logs are no longer delivered (logging v2)`;
}
