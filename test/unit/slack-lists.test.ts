import type { KnownBlock } from "@slack/types";
import { describe, expect, it } from "vitest";
import { auditMessage, pendingListMessage } from "../../src/messages/approval-messages.js";
import { homeView } from "../../src/messages/home-messages.js";
import type { ApprovalRequest, AuditEntry } from "../../src/store/records.js";

const pending = (i: number): ApprovalRequest => ({
  version: 0,
  id: `R${String(i).padStart(6, "0")}`,
  action: "wildcard-purge",
  alias: "web",
  distributionId: "E2EXAMPLE123",
  requestedBy: { userId: `U${i}`, teamId: "T1" },
  channelId: "C1",
  createdAt: 1_000 + i,
  expiresAt: 10_000_000,
  approvalsRequired: 1,
  state: "pending",
  approvals: [],
  payload: {
    kind: "purge",
    paths: Array.from({ length: 5 }, (_, p) => `/assets/release-${i}/bundle-${p}/*`),
    notes: [],
  },
  messageSettled: false,
});

const sectionTexts = (blocks: KnownBlock[]) =>
  blocks.flatMap((b) => (b.type === "section" && b.text ? [b.text.text] : []));

describe("long lists as people read them in Slack", () => {
  it("/cdn pending with 75 requests says 75, newest first, whole items in sections Slack takes", () => {
    const message = pendingListMessage(
      Array.from({ length: 75 }, (_, i) => ({ request: pending(i), role: "approver" as const })),
    );
    const [count, ...lists] = sectionTexts(message.blocks);
    expect(count).toMatch(/^75 open requests you can act on, newest first:$/);
    const items = lists.flatMap((t) => t.split("\n"));
    expect(items).toHaveLength(75);
    // Newest first, none cut: each item starts with its id and ends with what the viewer may do.
    expect(items[0]).toMatch(/^R000074: /);
    expect(items.at(-1)).toMatch(/^R000000: /);
    for (const item of items) expect(item).toMatch(/^R\d{6}: .*you may approve or reject it\)$/);
    for (const text of lists) expect(text.length).toBeLessThanOrEqual(3000);
    expect(message.blocks.length).toBeLessThanOrEqual(50);
  });

  it("says how many it shows when the list is longer than a message holds", () => {
    const message = pendingListMessage(
      Array.from({ length: 400 }, (_, i) => ({ request: pending(i), role: "approver" as const })),
    );
    const [count, ...lists] = sectionTexts(message.blocks);
    const shown = lists.flatMap((t) => t.split("\n")).length;
    expect(shown).toBeLessThan(400);
    expect(count).toBe(
      `Showing the newest ${shown} of 400 open requests you can act on; decide these, and \`/cdn pending\` shows the next.`,
    );
  });

  it("/cdn audit --limit 100 shows the newest first, so what does not fit is the oldest", () => {
    const entries: AuditEntry[] = Array.from({ length: 100 }, (_, i) => ({
      seq: 100 - i,
      at: Date.UTC(2026, 11, 4, 12, 0, 100 - i),
      type: "purge.requested",
      summary: `Purge of ${"a-long-path-name/".repeat(4)}${100 - i}.html`,
      actor: { userId: "UALICE", teamId: "T1" },
    }));
    const message = auditMessage(entries, "for web");
    const [count, ...lists] = sectionTexts(message.blocks);
    const lines = lists.flatMap((t) => t.split("\n"));
    expect(lines[0]).toMatch(/100\.html$/);
    for (let i = 1; i < lines.length; i++) expect(lines[i]).toMatch(new RegExp(`${100 - i}\\.html$`));
    expect(count).toMatch(
      lines.length === 100 ? /newest first \(100 entries\)/ : /the newest \d+ of the 100/,
    );
  });

  it("the Home tab says how many wait, and shows the newest", () => {
    const view = homeView({
      at: 0,
      actionable: Array.from({ length: 75 }, (_, i) => ({ request: pending(i), role: "approver" as const })),
      reviews: [],
      purges: [],
      changes: [],
      recent: [],
    });
    const texts = JSON.stringify(view.blocks);
    expect(texts).toContain("Waiting for you (75)");
    expect(texts).toMatch(/The newest \d+ of 75; `\/cdn pending` lists them all\./);
    expect(sectionTexts(view.blocks as KnownBlock[])[0]).toContain("R000074");
  });
});
