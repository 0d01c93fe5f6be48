import type { KnownBlock, RawNumberElement, RawTextElement, RichTextBlock } from "@slack/types";
import type { SlackMessage } from "./format.js";

/**
 * Slack's native table block (`data_table`, Block Kit reference, May 2026): a header row of plain
 * cells and 1–100 rows, every row as long as the header, at most 20 columns, each cell at least one
 * character, a caption, 1–100 rows a page. Slack also caps a table's characters across its cells
 * (the reference states a cap without a figure we could confirm), so a table here stays within a
 * budget chosen well under it and cuts rows, saying so in the caption.
 */
export const DATA_TABLE_LIMITS = { rows: 100, columns: 20, pageSize: 100, totalChars: 8_000 } as const;

/** A cell: text shown as typed (never markup), a number, or a Slack user (shown as a live mention). */
export type Cell = string | { number: number; text: string } | { user: string };

function cellOf(cell: Cell): RawTextElement | RawNumberElement | RichTextBlock {
  if (typeof cell === "string") return { type: "raw_text", text: cell.length > 0 ? cell : "—" };
  if ("number" in cell) return { type: "raw_number", value: cell.number, text: cell.text || "0" };
  return {
    type: "rich_text",
    elements: [{ type: "rich_text_section", elements: [{ type: "user", user_id: cell.user }] }],
  };
}

function cellChars(cell: Cell): number {
  if (typeof cell === "string") return Math.max(1, cell.length);
  return "number" in cell ? cell.text.length : cell.user.length;
}

/**
 * A `data_table` of the rows that fit (newest or most important first, as given), or undefined
 * where the table cannot be one (no rows, too many columns). `caption` gets how many were cut.
 */
export function dataTable(
  caption: string,
  header: string[],
  rows: Cell[][],
  pageSize = 10,
): KnownBlock | undefined {
  if (rows.length === 0 || header.length === 0 || header.length > DATA_TABLE_LIMITS.columns) return undefined;
  let budget = DATA_TABLE_LIMITS.totalChars - header.reduce((sum, h) => sum + Math.max(1, h.length), 0);
  const kept: Cell[][] = [];
  for (const row of rows.slice(0, DATA_TABLE_LIMITS.rows)) {
    if (row.length !== header.length) throw new Error("a table row must have a cell per column");
    const chars = row.reduce<number>((sum, c) => sum + cellChars(c), 0);
    if (chars > budget) break;
    budget -= chars;
    kept.push(row);
  }
  if (kept.length === 0) return undefined;
  const cut = rows.length - kept.length;
  return {
    type: "data_table",
    caption: cut > 0 ? `${caption} (the first ${kept.length} of ${rows.length})` : caption,
    page_size: Math.min(Math.max(1, pageSize), DATA_TABLE_LIMITS.pageSize),
    rows: [header.map((h) => cellOf(h)), ...kept.map((row) => row.map(cellOf))],
  } as KnownBlock;
}

/**
 * A message whose list is a native table where the workspace takes one: `blocks` hold the table
 * (after any blocks before it), `plainBlocks` the classic rendering the bot falls back to, and
 * `text` stays the plain fallback of both.
 */
export function withNativeTable(
  classic: SlackMessage,
  table: KnownBlock | undefined,
  before: KnownBlock[] = [],
): SlackMessage {
  if (!table) return classic;
  return { text: classic.text, blocks: [...before, table], plainBlocks: classic.blocks };
}

/** Whether a message carries a block some workspaces refuse (a native table or chart). */
export function hasNativeBlocks(blocks: readonly KnownBlock[]): boolean {
  return blocks.some(
    (b) => (b.type as string) === "data_table" || (b.type as string) === "data_visualization",
  );
}
