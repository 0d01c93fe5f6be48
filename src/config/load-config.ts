import { readFile } from "node:fs/promises";
import { parse as parseYaml, YAMLParseError } from "yaml";
import type { z } from "zod";
import { closestWord } from "../text/closest-word.js";
import { type CdnbotConfig, configSchema } from "./config-schema.js";

/** A config problem a person can act on: every issue, each with its key path. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`Invalid config file ${file}:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  }
}

export function formatIssuePath(path: ReadonlyArray<PropertyKey>): string {
  return path.length === 0 ? "(top level)" : path.map(String).join(".");
}

const KIND: Record<string, string> = {
  record: "a map of entries (key: value)",
  object: "a map of keys",
  array: "a list",
  number: "a number",
  string: "text",
  boolean: "true or false",
};

/** One zod issue in the words of the person who wrote the file, not zod's. */
function describeIssue(issue: z.core.$ZodIssue, schema?: z.ZodType): string {
  const i = issue as z.core.$ZodIssue & {
    expected?: string;
    received?: string;
    input?: unknown;
    maximum?: number | bigint;
    minimum?: number | bigint;
    keys?: string[];
    values?: unknown[];
  };
  switch (i.code) {
    case "invalid_type":
      if (i.input === undefined && i.received !== "NaN") return "is required";
      if (i.expected === "number" || i.received === "NaN") return "must be a number";
      return `must be ${KIND[i.expected ?? ""] ?? i.expected}`;
    case "too_big":
      return i.origin === "string" || i.origin === "array"
        ? `is too long (at most ${i.maximum})`
        : `must be at most ${i.maximum}`;
    case "too_small":
      return i.origin === "string" || i.origin === "array"
        ? i.minimum === 1
          ? "must not be empty"
          : `is too short (at least ${i.minimum})`
        : `must be at least ${i.minimum}`;
    case "unrecognized_keys": {
      const known = schema ? knownKeysAt(schema, issue.path) : undefined;
      const named = (i.keys ?? []).map((k) => {
        const meant = known ? closestWord(k, known) : undefined;
        return meant ? `"${k}" (did you mean "${meant}"?)` : `"${k}"`;
      });
      return `unknown ${named.length === 1 ? "key" : "keys"} ${named.join(", ")}: check the spelling`;
    }
    case "invalid_value":
      return `must be one of ${(i.values ?? []).map(String).join(", ")}`;
    default:
      return issue.message;
  }
}

/** The keys the schema knows at a path of the config (through optional, default and record), if any. */
function knownKeysAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] | undefined {
  let current: z.ZodType | undefined = schema;
  const unwrap = (s: z.ZodType): z.ZodType => {
    const def = (s as unknown as { def: { type: string; innerType?: z.ZodType; in?: z.ZodType } }).def;
    if ((def.type === "optional" || def.type === "default" || def.type === "nullable") && def.innerType)
      return unwrap(def.innerType);
    if (def.type === "pipe" && def.in) return unwrap(def.in);
    return s;
  };
  for (const segment of path) {
    if (!current) return undefined;
    const s = unwrap(current) as unknown as {
      def: { type: string; valueType?: z.ZodType; element?: z.ZodType };
      shape?: Record<string, z.ZodType>;
    };
    if (s.def.type === "object") current = s.shape?.[String(segment)];
    else if (s.def.type === "record") current = s.def.valueType;
    else if (s.def.type === "array") current = s.def.element;
    else return undefined;
  }
  if (!current) return undefined;
  const last = unwrap(current) as unknown as { def: { type: string }; shape?: Record<string, unknown> };
  return last.def.type === "object" && last.shape ? Object.keys(last.shape) : undefined;
}

/** Each issue in words; with the schema, an unknown key is matched to the one it likely meant. */
export function describeIssues(issues: readonly z.core.$ZodIssue[], schema?: z.ZodType): string[] {
  return issues.map((issue) => `${formatIssuePath(issue.path)}: ${describeIssue(issue, schema)}`);
}

export function parseConfig(text: string, file: string): CdnbotConfig {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    const detail = error instanceof YAMLParseError ? error.message : String(error);
    throw new ConfigError(file, [`not valid YAML: ${detail}`]);
  }
  // An alias such as __proto__ would vanish into the object's prototype rather than be refused.
  const aliases = (raw as { distributions?: unknown })?.distributions;
  if (aliases && typeof aliases === "object") {
    const odd = Object.keys(aliases).filter((k) => ["__proto__", "constructor", "prototype"].includes(k));
    if (odd.length > 0)
      throw new ConfigError(
        file,
        odd.map((k) => `distributions.${k}: "${k}" cannot be an alias; choose another name`),
      );
  }
  if (raw === null || raw === undefined) {
    throw new ConfigError(file, ["the file is empty; it needs at least `distributions:` with one entry"]);
  }
  const result = configSchema.safeParse(raw);
  if (!result.success) throw new ConfigError(file, describeIssues(result.error.issues, configSchema));
  return result.data;
}

export async function loadConfig(file: string): Promise<CdnbotConfig> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === "ENOENT" ? "the file does not exist" : `it cannot be read (${code ?? String(error)})`;
    throw new ConfigError(file, [
      `${why}. Create it (see docs/configuration.md) or point CDNBOT_CONFIG at it.`,
    ]);
  }
  return parseConfig(text, file);
}
