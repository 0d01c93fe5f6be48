/**
 * Slack's documented limits for its native table and chart blocks (Block Kit reference:
 * data_table, May 2026; data_visualization, June 2026), checked the way Slack refuses a message
 * (`invalid_blocks`): written from the reference, apart from the bot's own builders.
 */
type Cell = { type?: string; text?: unknown; value?: unknown; elements?: unknown };

function tableProblem(b: Record<string, unknown>): string | undefined {
  if (typeof b.caption !== "string" || b.caption.length === 0) return "data_table needs a caption";
  const rows = b.rows as Cell[][] | undefined;
  if (!Array.isArray(rows) || rows.length < 2 || rows.length > 101)
    return "data_table has a header and 1 to 100 rows";
  const width = rows[0]!.length;
  if (width < 1 || width > 20) return "data_table has 1 to 20 columns";
  if (rows.some((r) => !Array.isArray(r) || r.length !== width))
    return "every data_table row has the same length";
  if (rows[0]!.some((c) => c.type === "rich_text")) return "a data_table header cell is not rich_text";
  for (const cell of rows.flat()) {
    if (cell.type === "raw_text" && (typeof cell.text !== "string" || cell.text.length === 0))
      return "a raw_text cell has at least one character";
    if (
      cell.type === "raw_number" &&
      (typeof cell.value !== "number" || typeof cell.text !== "string" || cell.text.length === 0)
    )
      return "a raw_number cell has a value and a text";
    if (!["raw_text", "raw_number", "rich_text"].includes(String(cell.type)))
      return `unknown cell type ${String(cell.type)}`;
  }
  const pageSize = b.page_size;
  if (pageSize !== undefined && (typeof pageSize !== "number" || pageSize < 1 || pageSize > 100))
    return "page_size is 1 to 100";
  return undefined;
}

function chartProblem(b: Record<string, unknown>): string | undefined {
  if (typeof b.title !== "string" || b.title.length === 0 || b.title.length > 50)
    return "a chart's title is 1 to 50 characters";
  const chart = b.chart as Record<string, unknown> | undefined;
  if (!chart || !["line", "bar", "area", "pie"].includes(String(chart.type)))
    return "a chart is line, bar, area or pie";
  if (chart.type === "pie") return undefined;
  const series = chart.series as { name?: unknown; data?: { label?: unknown; value?: unknown }[] }[];
  const axis = chart.axis_config as
    | { categories?: unknown[]; x_label?: unknown; y_label?: unknown }
    | undefined;
  if (!Array.isArray(series) || series.length < 1 || series.length > 6) return "a chart has 1 to 6 series";
  if (!axis || !Array.isArray(axis.categories)) return "a chart has axis_config.categories";
  const categories = axis.categories.map(String);
  if (categories.some((c) => c.length === 0 || c.length > 20))
    return "a category label is 1 to 20 characters";
  for (const label of [axis.x_label, axis.y_label])
    if (label !== undefined && (typeof label !== "string" || label.length > 50))
      return "an axis label is at most 50 characters";
  const names = new Set<string>();
  for (const s of series) {
    if (typeof s.name !== "string" || s.name.length === 0 || s.name.length > 20)
      return "a series name is 1 to 20 characters";
    if (names.has(s.name)) return "series names are unique";
    names.add(s.name);
    if (!Array.isArray(s.data) || s.data.length < 1 || s.data.length > 20)
      return "a series has 1 to 20 points";
    if (s.data.some((p) => typeof p.value !== "number" || !Number.isFinite(p.value)))
      return "a point's value is a number";
    if (s.data.map((p) => String(p.label)).join("\n") !== categories.join("\n"))
      return "a series' labels are the axis categories, in order";
  }
  return undefined;
}

/** Why Slack would refuse these blocks, or undefined; `native` false refuses native blocks at all. */
export function blocksProblem(blocks: unknown, native: boolean): string | undefined {
  if (!Array.isArray(blocks)) return undefined;
  const charts = blocks.filter((b) => (b as { type?: string }).type === "data_visualization");
  if (charts.length > 2) return "at most 2 charts in a message";
  for (const block of blocks as Record<string, unknown>[]) {
    if (block.type !== "data_table" && block.type !== "data_visualization") continue;
    if (!native) return `this workspace does not take ${String(block.type)}`;
    const problem = block.type === "data_table" ? tableProblem(block) : chartProblem(block);
    if (problem) return problem;
  }
  return undefined;
}
