import { readFile } from "node:fs/promises";
import { parse as parseYaml, YAMLParseError } from "yaml";
import type { z } from "zod";
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

export function describeIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((issue) => `${formatIssuePath(issue.path)}: ${issue.message}`);
}

export function parseConfig(text: string, file: string): CdnbotConfig {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    const detail = error instanceof YAMLParseError ? error.message : String(error);
    throw new ConfigError(file, [`not valid YAML: ${detail}`]);
  }
  if (raw === null || raw === undefined) {
    throw new ConfigError(file, ["the file is empty; it needs at least `distributions:` with one entry"]);
  }
  const result = configSchema.safeParse(raw);
  if (!result.success) throw new ConfigError(file, describeIssues(result.error.issues));
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
      `${why}. Create it (see README.md, "Configuration") or point CDNBOT_CONFIG at it.`,
    ]);
  }
  return parseConfig(text, file);
}
