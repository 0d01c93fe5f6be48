import type { z } from "zod";
import { configSchema } from "./config-schema.js";

/** One documented config key: docs/configuration.md's table is made of these, from the schema itself. */
export type ConfigKeyDoc = { key: string; default: string; description: string };

type Def = {
  type: string;
  innerType?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  valueType?: z.ZodType;
  defaultValue?: unknown;
  in?: z.ZodType;
};

const defOf = (schema: z.ZodType) => (schema as unknown as { _zod: { def: Def } })._zod.def;

function formatMs(ms: number): string {
  for (const [unit, size] of [
    ["d", 86_400_000],
    ["h", 3_600_000],
    ["m", 60_000],
    ["s", 1000],
  ] as const)
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
}

function formatDefault(value: unknown, isDuration: boolean): string {
  if (value === undefined) return "";
  if (isDuration && typeof value === "number") return formatMs(value);
  return Array.isArray(value) ? `[${value.join(", ")}]` : String(value);
}

function walk(schema: z.ZodType, key: string, out: ConfigKeyDoc[], description?: string, fallback?: unknown) {
  let current = schema;
  let desc = description ?? schema.description;
  let defaultValue = fallback;
  // Optional and default wrap the real schema; each may carry the description.
  for (;;) {
    const def = defOf(current);
    if (def.type === "default") defaultValue ??= def.defaultValue;
    if ((def.type === "optional" || def.type === "default") && def.innerType) {
      current = def.innerType;
      desc ??= current.description;
      continue;
    }
    break;
  }
  const def = defOf(current);
  if (key.endsWith(".policy")) {
    // A distribution's policy takes the same keys as the top-level one: one row says so.
    out.push({ key, default: "", description: `${desc ?? ""} Same keys as \`policy\`.`.trim() });
    return;
  }
  if (def.type === "object" && def.shape) {
    if (key && desc) out.push({ key, default: "", description: desc });
    for (const [child, value] of Object.entries(def.shape)) {
      const childDefault = (defaultValue as Record<string, unknown> | undefined)?.[child];
      walk(value, key ? `${key}.${child}` : child, out, undefined, childDefault);
    }
    return;
  }
  if (def.type === "record" && def.valueType) {
    out.push({ key, default: "", description: desc ?? "" });
    // Distributions are keyed by alias; anything else keyed by a name (API clients).
    walk(def.valueType, `${key}.${key === "distributions" ? "<alias>" : "<name>"}`, out);
    return;
  }
  // A duration is a string pipe turned into milliseconds.
  const isDuration = def.type === "pipe";
  out.push({ key, default: formatDefault(defaultValue, isDuration), description: desc ?? "" });
}

export function configKeyDocs(): ConfigKeyDoc[] {
  const out: ConfigKeyDoc[] = [];
  walk(configSchema, "", out);
  return out;
}

/** The table of config keys in docs/configuration.md, as Markdown. */
export function configTableMarkdown(): string {
  const rows = configKeyDocs().map((d) => [
    `\`${d.key}\``,
    d.default ? `\`${d.default}\`` : "",
    d.description.replace(/\|/g, "\\|"),
  ]);
  const head = ["Key", "Default", "Meaning"];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
  return [line(head), `| ${widths.map((w) => "-".repeat(w)).join(" | ")} |`, ...rows.map(line)].join("\n");
}
