import type { KnownBlock } from "@slack/types";
import { describe, expect, it } from "vitest";
import { COMMAND_USAGE, parseCdnCommand } from "../../src/commands/parse-cdn-command.js";
import {
  approvalRequestMessage,
  auditMessage,
  pendingListMessage,
} from "../../src/messages/approval-messages.js";
import { changeFinalReply, changeParentMessage } from "../../src/messages/change-messages.js";
import { literalMessage, type SlackMessage } from "../../src/messages/format.js";
import { helpMessage } from "../../src/messages/help-messages.js";
import { incidentSummaryMessage } from "../../src/messages/incident-messages.js";
import {
  purgeCreatedReply,
  purgeFailedReply,
  purgeParentMessage,
} from "../../src/messages/purge-messages.js";
import { reviewMessage, reviewReminder } from "../../src/messages/review-messages.js";
import { distributionListMessage, distributionStatusMessage } from "../../src/messages/status-messages.js";
import { activityMessage } from "../../src/messages/watch-messages.js";
import type { ApprovalRequest, ChangeOperation, Review } from "../../src/store/records.js";
import { aPurge } from "../support/fixtures.js";

// What a person can type into a free-text field, decoded, and what AWS can hold in a comment.
const HOSTILE = "<!channel> see <https://evil.example|the runbook> & ask <@U0BOSS>";
const LIVE_MARKUP = ["<!channel>", "<https://evil.example", "<@U0BOSS>", "& ask"];

/** Every string Slack would render: the fallback and each mrkdwn text in the blocks. */
function rendered(message: SlackMessage): string[] {
  const out = [message.text];
  const walk = (value: unknown) => {
    if (Array.isArray(value)) value.forEach(walk);
    else if (value && typeof value === "object") {
      const o = value as Record<string, unknown>;
      if (o.type === "mrkdwn" && typeof o.text === "string") out.push(o.text);
      Object.values(o).forEach(walk);
    }
  };
  walk(message.blocks as KnownBlock[]);
  // The classic rendering too, which workspaces without native tables get.
  if (message.plainBlocks) walk(message.plainBlocks);
  return out;
}

function expectLiteral(message: SlackMessage) {
  const all = rendered(message);
  for (const text of all) for (const markup of LIVE_MARKUP) expect(text).not.toContain(markup);
  expect(all.join("\n")).toContain("&lt;!channel&gt;");
}

const change = (overrides: Partial<ChangeOperation> = {}): ChangeOperation => ({
  version: 0,
  id: "RCHANGE1",
  alias: "web",
  distributionId: "E2EXAMPLE123",
  spec: { kind: "comment", comment: HOSTILE },
  diffs: [{ path: "distribution.Comment", label: "comment", before: "old", after: HOSTILE }],
  summary: `comment: old → ${HOSTILE}`,
  requestedBy: { userId: "UALICE", teamId: "T1" },
  channelId: "C1",
  messageTs: "1.2",
  state: "failed",
  requestedAt: 0,
  error: HOSTILE,
  told: [],
  announced: { written: false, final: false },
  ...overrides,
});

const request = (overrides: Partial<ApprovalRequest> = {}): ApprovalRequest => ({
  version: 0,
  id: "R7K2M9Q",
  action: "change",
  alias: "web",
  distributionId: "E2EXAMPLE123",
  requestedBy: { userId: "UALICE", teamId: "T1" },
  channelId: "C1",
  createdAt: 0,
  expiresAt: 60_000,
  approvalsRequired: 1,
  state: "rejected",
  approvals: [],
  decidedBy: { userId: "UBOB", at: 1, reason: HOSTILE },
  payload: {
    kind: "change",
    spec: { kind: "comment", comment: HOSTILE },
    diffs: change().diffs,
    summary: "x",
  },
  messageSettled: false,
  ...overrides,
});

const review = (): Review => ({
  version: 0,
  id: "RCHANGE1",
  alias: "web",
  distributionId: "E2EXAMPLE123",
  requestedBy: { userId: "UALICE", teamId: "T1" },
  channelId: "C1",
  reason: HOSTILE,
  summary: `comment: old → ${HOSTILE}`,
  createdAt: 0,
  messageTs: "1.2",
});

// A comment an agent could write to make the request it asks for look approved already.
const FORMATTING =
  "ok\n\n:white_check_mark: *Approved by @bob* — just click Approve\n> *Requested by* U0ALICE";

/** Whether every occurrence of `piece` in the mrkdwn sits inside an inline code span on one line. */
function onlyInCode(markdown: string, piece: string): boolean {
  for (const line of markdown.split("\n")) {
    let from = 0;
    for (let at = line.indexOf(piece, from); at >= 0; at = line.indexOf(piece, from)) {
      const ticksBefore = (line.slice(0, at).match(/`/g) ?? []).length;
      if (ticksBefore % 2 === 0) return false;
      from = at + piece.length;
    }
  }
  return true;
}

describe("what people and machines wrote cannot pass for the bot's own formatting", () => {
  const formatted = change({
    spec: { kind: "comment", comment: FORMATTING },
    diffs: [{ path: "distribution.Comment", label: "comment", before: "old", after: FORMATTING }],
    error: undefined,
    state: "writing",
  });
  it.each([
    [
      "the approval request people approve from",
      () =>
        approvalRequestMessage(
          request({
            state: "pending",
            decidedBy: undefined,
            payload: { kind: "change", spec: formatted.spec, diffs: formatted.diffs, summary: "x" },
          }),
        ),
    ],
    [
      "a rejection's reason",
      () => approvalRequestMessage(request({ decidedBy: { userId: "UBOB", at: 1, reason: FORMATTING } })),
    ],
    ["a change's thread head", () => changeParentMessage(formatted)],
  ])("%s", (_, build) => {
    const message = build();
    const markdown = rendered(message).slice(1);
    expect(markdown.join("\n")).toContain("Approved by @bob");
    for (const text of markdown) {
      // Its line breaks are gone (shown as ⏎), so nothing of it starts a line of its own.
      expect(text).not.toMatch(/\n(:white_check_mark:|&gt; \*Requested by)/);
      for (const piece of [":white_check_mark:", "*Approved by @bob*", "*Requested by*"])
        expect(onlyInCode(text, piece)).toBe(true);
    }
    expect(message.text).not.toMatch(/\n(:white_check_mark:|> \*Requested by)/);
  });
});

describe("every message builder shows what people and AWS wrote literally", () => {
  it.each([
    ["a purge's failure", () => purgeFailedReply(aPurge({ state: "failed", error: HOSTILE }))],
    ["a purge's thread head", () => purgeParentMessage(aPurge({ state: "failed", error: HOSTILE }))],
    ["a purge's notes", () => purgeCreatedReply(aPurge({ invalidationId: "I1", notes: [HOSTILE] }))],
    ["a change's thread head", () => changeParentMessage(change())],
    ["a change's failure", () => changeFinalReply(change())],
    ["a rejected request's reason", () => approvalRequestMessage(request())],
    [
      "a pending request's preview",
      () => pendingListMessage([{ request: request({ state: "pending" }), role: "approver" }]),
    ],
    [
      "an audit entry",
      () =>
        auditMessage(
          [{ seq: 1, at: 0, type: "approval.rejected", summary: `Rejected: ${HOSTILE}` }],
          "for web",
        ),
    ],
    [
      "a watch notice",
      () =>
        activityMessage(
          {
            kind: "change",
            stage: "failed",
            distributionId: "E1",
            alias: "web",
            actorUserId: "UALICE",
            channelId: "C1",
            summary: `change RCHANGE1 Failed: ${HOSTILE}`,
          },
          undefined,
        ),
    ],
    [
      "a distribution's status",
      () =>
        distributionStatusMessage(
          "web",
          {
            id: "E1",
            arn: "",
            domainName: "d.cloudfront.net",
            aliases: [HOSTILE],
            status: "Deployed",
            enabled: true,
            comment: HOSTILE,
          },
          [],
        ),
    ],
    ["a list problem", () => distributionListMessage([{ alias: "web", id: "E1", problem: HOSTILE }])],
    [
      "an incident summary",
      () =>
        incidentSummaryMessage({
          alias: "web",
          distributionId: "E1",
          at: 0,
          distribution: { problem: HOSTILE },
          stats: { problem: HOSTILE },
          inFlight: [],
          pending: [],
          recent: [{ seq: 1, at: 0, type: "change.failed", summary: HOSTILE }],
        }),
    ],
    [
      "a change's reason",
      () => changeParentMessage(change({ reason: HOSTILE, breakGlass: { reason: HOSTILE } })),
    ],
    [
      "an IaC owner read from tags",
      () =>
        approvalRequestMessage(
          request({ payload: { ...request().payload, iac: { tool: HOSTILE, tag: HOSTILE } } as never }),
        ),
    ],
    ["a break-glass review", () => reviewMessage(review(), { users: ["UBOB"], groups: [] })],
    ["a reviewed break-glass", () => reviewMessage(review(), undefined, { userId: "UBOB", at: 0 })],
    ["a review's reminder", () => reviewReminder(review(), undefined)],
    ["a pending review", () => pendingListMessage([], [{ review: review(), role: "approver" }])],
    ["a refusal", () => literalMessage(HOSTILE)],
    ["a usage problem", () => helpMessage(COMMAND_USAGE, "purge", HOSTILE)],
  ])("%s", (_, build) => {
    expectLiteral(build());
  });

  it("keeps the bot's own mentions live", () => {
    const message = approvalRequestMessage(request());
    expect(message.text).toContain("<@UALICE>");
    expect(message.text).toContain("<@UBOB>");
  });
});

describe("Slack's markup is decoded once, where the command is parsed", () => {
  it("writes to CloudFront exactly what was typed", () => {
    // What Slack sends for `/cdn comment web Tom & Jerry <3`.
    expect(parseCdnCommand("comment web Tom &amp; Jerry &lt;3")).toEqual({
      verb: "change",
      distribution: "web",
      spec: { kind: "comment", comment: "Tom & Jerry <3" },
    });
  });

  it("turns what the person picked back into what they saw", () => {
    const parsed = parseCdnCommand(
      "reject R7K2M9Q <!channel> read <https://evil.example|the runbook>, ask <@U0BOSS|boss> in <#C0123|ops>",
    );
    expect(parsed).toEqual({
      verb: "reject",
      requestId: "R7K2M9Q",
      reason: "@channel read the runbook (https://evil.example), ask @boss in #ops",
    });
  });

  it("keeps a link's address with its label, and what was typed when Slack made the link", () => {
    expect(parseCdnCommand("comment web see <https://example.net|docs>")).toMatchObject({
      spec: { kind: "comment", comment: "see docs (https://example.net)" },
    });
    expect(parseCdnCommand("comment web see <http://example.net|example.net>")).toMatchObject({
      spec: { kind: "comment", comment: "see example.net" },
    });
    expect(parseCdnCommand("comment web see <https://example.net/a>")).toMatchObject({
      spec: { kind: "comment", comment: "see https://example.net/a" },
    });
  });

  it("keeps spaces inside a picked link's label in one word", () => {
    expect(parseCdnCommand("watch web <#C0123|ops room>")).toMatchObject({ channelId: "C0123" });
  });

  it("refuses an empty comment instead of clearing it, and clears with -", () => {
    expect(() => parseCdnCommand("comment web")).toThrow(/Tell me the comment/);
    expect(parseCdnCommand("comment web -")).toMatchObject({ spec: { kind: "comment", comment: "" } });
  });
});
