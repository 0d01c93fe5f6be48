import type { KnownBlock } from "@slack/types";
import { describe, expect, it } from "vitest";
import { auditMessage, pendingListMessage } from "../../src/messages/approval-messages.js";
import type { SlackMessage } from "../../src/messages/format.js";
import { homeView } from "../../src/messages/home-messages.js";
import { dataTable } from "../../src/messages/native-blocks.js";
import { statsMessage } from "../../src/messages/stats-messages.js";
import { alertMessage } from "../../src/messages/watch-messages.js";
import type { StatsReport } from "../../src/metrics/distribution-stats.js";
import type { ApprovalRequest, AuditEntry } from "../../src/store/records.js";
import { blocksProblem } from "../support/block-limits.js";

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

/** The classic rendering, which workspaces without native tables get. */
const classic = (message: SlackMessage) => message.plainBlocks ?? message.blocks;

const sectionTexts = (blocks: KnownBlock[]) =>
  blocks.flatMap((b) => (b.type === "section" && b.text ? [b.text.text] : []));

describe("long lists as people read them in Slack", () => {
  it("/cdn pending with 75 requests says 75, newest first, whole items in sections Slack takes", () => {
    const message = pendingListMessage(
      Array.from({ length: 75 }, (_, i) => ({ request: pending(i), role: "approver" as const })),
    );
    const [count, ...lists] = sectionTexts(classic(message));
    expect(count).toMatch(/^75 open requests you can act on, newest first:$/);
    const items = lists.flatMap((t) => t.split("\n"));
    expect(items).toHaveLength(75);
    // Newest first, none cut: each item starts with its id and ends with what the viewer may do.
    expect(items[0]).toMatch(/^R000074: /);
    expect(items.at(-1)).toMatch(/^R000000: /);
    for (const item of items) expect(item).toMatch(/^R\d{6}: .*you may approve or reject it\)$/);
    for (const text of lists) expect(text.length).toBeLessThanOrEqual(3000);
    expect(classic(message).length).toBeLessThanOrEqual(50);
  });

  it("says how many it shows when the list is longer than a message holds", () => {
    const message = pendingListMessage(
      Array.from({ length: 400 }, (_, i) => ({ request: pending(i), role: "approver" as const })),
    );
    const [count, ...lists] = sectionTexts(classic(message));
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
    const [count, ...lists] = sectionTexts(classic(message));
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

describe("native tables", () => {
  const tableOf = (message: SlackMessage) =>
    message.blocks.find((b) => (b.type as string) === "data_table") as
      | { caption: string; rows: { type: string; text?: string }[][]; page_size: number }
      | undefined;

  it("/cdn pending with 400 requests is a data_table Slack takes: the newest 100, the caption says so", () => {
    const message = pendingListMessage(
      Array.from({ length: 400 }, (_, i) => ({ request: pending(i), role: "approver" as const })),
    );
    expect(blocksProblem(message.blocks, true)).toBeUndefined();
    const table = tableOf(message)!;
    expect(table.rows.length).toBeLessThanOrEqual(101);
    expect(table.rows[1]?.[0]?.text).toBe("R000399");
    expect(table.caption).toMatch(/\(the first \d+ of 400\)$/);
    expect(table.page_size).toBe(10);
  });

  it("an audit log of long entries stays within the table's character budget, every row whole", () => {
    const entries: AuditEntry[] = Array.from({ length: 100 }, (_, i) => ({
      seq: i,
      at: Date.UTC(2026, 11, 4, 12, 0, i),
      type: "purge.requested",
      summary: `Purge of ${"x".repeat(300)}`,
    }));
    const message = auditMessage(entries, "for web");
    expect(blocksProblem(message.blocks, true)).toBeUndefined();
    const table = tableOf(message)!;
    const chars = table.rows.flat().reduce((n, c) => n + (c.text?.length ?? 0), 0);
    expect(chars).toBeLessThanOrEqual(8_000);
    expect(table.rows.length).toBeLessThan(101);
    expect(table.rows.slice(1).every((r) => r[5]?.text === `Purge of ${"x".repeat(300)}`)).toBe(true);
  });

  it("is no table where there is nothing to list, or more columns than Slack takes", () => {
    expect(dataTable("none", ["A"], [])).toBeUndefined();
    expect(
      dataTable(
        "wide",
        Array.from({ length: 21 }, (_, i) => `c${i}`),
        [Array(21).fill("x")],
      ),
    ).toBeUndefined();
    // An empty cell would be refused: it shows a dash.
    expect(blocksProblem([dataTable("one", ["A", "B"], [["", "b"]])], true)).toBeUndefined();
  });
});

describe("native charts", () => {
  const report = (label: "1h" | "7d", ms: number): StatsReport => ({
    alias: "a-distribution-with-a-long-alias",
    distributionId: "E2EXAMPLE123",
    window: { label, ms, periodSeconds: 60 },
    endMs: Date.UTC(2026, 11, 7, 12),
    summaries: [
      {
        metric: "Requests",
        current: 1,
        points: Array.from({ length: 200 }, (_, i) => ({
          at: Date.UTC(2026, 11, 7, 12) - ms + i * (ms / 200),
          value: i,
        })),
      },
      { metric: "5xxErrorRate", current: 1, points: [{ at: Date.UTC(2026, 11, 7, 11, 59), value: 2.5 }] },
    ],
    noData: false,
    additionalMetricsOff: false,
  });

  it.each([
    ["1h", 3_600_000],
    ["7d", 7 * 86_400_000],
  ] as const)("/cdn stats %s: two charts Slack takes, 20 categories, marks on theirs", (label, ms) => {
    const end = Date.UTC(2026, 11, 7, 12);
    const message = statsMessage(report(label, ms), "UALICE", [
      { at: end - ms / 2, label: "purge" },
      { at: end - ms / 2 + 1, label: "deploy" },
    ]);
    expect(blocksProblem(message.blocks, true)).toBeUndefined();
    const charts = message.blocks.filter((b) => (b.type as string) === "data_visualization") as unknown as {
      title: string;
      chart: { series: { data: unknown[] }[]; axis_config: { categories: string[] } };
    }[];
    expect(charts).toHaveLength(2);
    for (const c of charts) expect(c.title.length).toBeLessThanOrEqual(50);
    const categories = charts[0]!.chart.axis_config.categories;
    expect(categories).toHaveLength(20);
    expect(new Set(categories).size).toBe(20);
    expect(categories.filter((c) => /purge/.test(c))).toHaveLength(1);
    // The classic rendering has no native block at all.
    expect(blocksProblem(message.plainBlocks, false)).toBeUndefined();
  });
});

describe("an alert's chart and the Home tab's reviews", () => {
  it("draws the alert's readings with the threshold and the purges among them", () => {
    const at = (m: number) => Date.UTC(2026, 11, 7, 12, m);
    const message = alertMessage(
      {
        version: 0,
        id: "W1",
        alias: "web",
        distributionId: "E2EXAMPLE123",
        channelId: "CINC",
        thresholds: { "5xxErrorRate": 5, "4xxErrorRate": 20 },
        createdBy: { userId: "UALICE", teamId: "T1" },
        createdAt: 0,
      },
      "5xxErrorRate",
      5,
      { kind: "breach", value: 9 },
      [1, 7, 8, 9].map((value, i) => ({ at: at(i), value })),
      [{ at: at(2), label: "purge" }],
    );
    expect(blocksProblem(message.blocks, true)).toBeUndefined();
    const chart = message.blocks.find((b) => (b.type as string) === "data_visualization") as unknown as {
      chart: { series: { name: string }[]; axis_config: { categories: string[] } };
    };
    expect(chart.chart.series.map((s) => s.name)).toEqual(["5xx error rate", "threshold 5%"]);
    expect(chart.chart.axis_config.categories.filter((c) => c.endsWith("purge"))).toHaveLength(1);
    expect(message.plainBlocks?.some((b) => (b.type as string) === "data_visualization")).toBe(false);
  });

  it("lists break-glass changes to review in an approver's Home tab, with Acknowledge", () => {
    const view = homeView({
      at: 0,
      actionable: [],
      reviews: [
        {
          review: {
            version: 0,
            id: "R7K2M9Q",
            alias: "web",
            distributionId: "E2EXAMPLE123",
            requestedBy: { userId: "UDAVE", teamId: "T1" },
            channelId: "C1",
            reason: "INC-231",
            summary: "default TTL: 86400 → 0",
            createdAt: 0,
          },
          role: "approver",
        },
      ],
      purges: [],
      changes: [],
      recent: [],
    });
    const json = JSON.stringify(view.blocks);
    expect(json).toContain("Break-glass to review (1)");
    const buttons = (view.blocks as { type: string; elements?: { action_id?: string; value?: string }[] }[])
      .filter((b) => b.type === "actions")
      .flatMap((b) => b.elements ?? []);
    expect(buttons).toContainEqual(
      expect.objectContaining({ action_id: "review_acknowledge", value: "R7K2M9Q" }),
    );
  });
});
