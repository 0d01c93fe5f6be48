import { z } from "zod";
import type { CdnbotConfig } from "../config/config-schema.js";
import { distributionIdSchema } from "../config/config-schema.js";
import { DistributionDirectory } from "../directory/distribution-directory.js";
import { UserError } from "../errors.js";
import type { AuditStream } from "../store/audit-journal.js";
import type { AuditEntry } from "../store/records.js";
import { quote } from "../text/plain-text.js";

const argsSchema = z.object({
  since: z
    .string()
    .refine(
      (s) => !Number.isNaN(Date.parse(s)),
      "--since takes a date or time such as 2026-11-01 or 2026-11-01T10:00:00Z",
    )
    .transform((s) => Date.parse(s))
    .optional(),
  distribution: z.string().optional(),
  json: z.boolean().default(false),
});

export type AuditExportArgs = z.infer<typeof argsSchema>;

export const AUDIT_USAGE =
  "Usage: npm run audit -- [--since 2026-11-01] [--distribution web|E2EXAMPLE123] [--json]";

export function parseAuditArgs(argv: string[]): AuditExportArgs {
  const raw: Record<string, unknown> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--json") raw.json = true;
    else if (arg === "--since" || arg === "--distribution") raw[arg.slice(2)] = argv[++i];
    else throw new UserError(`Unknown argument ${arg}. ${AUDIT_USAGE}`);
  }
  const parsed = argsSchema.safeParse(raw);
  if (!parsed.success)
    throw new UserError(`${parsed.error.issues.map((i) => i.message).join("; ")}. ${AUDIT_USAGE}`);
  return parsed.data;
}

/**
 * The distribution id `--distribution` names: an alias or id from the config, or any id as such (the
 * log outlives the config, so a distribution removed from it can still be looked up by id).
 * `config` is undefined when it could not be read; `configProblem` then says why.
 */
export function resolveAuditDistribution(
  nameOrId: string,
  config: CdnbotConfig | undefined,
  configProblem?: string,
): string {
  if (config) {
    try {
      return new DistributionDirectory(config).resolve(nameOrId).id;
    } catch (error) {
      if (!(error instanceof UserError)) throw error;
    }
  }
  if (distributionIdSchema.safeParse(nameOrId).success) return nameOrId;
  const known = config
    ? `The config names: ${Object.entries(config.distributions)
        .map(([alias, d]) => `${alias} (${d.id})`)
        .join(", ")}.`
    : `I could not read the config to look aliases up: ${configProblem ?? "it is missing"}.`;
  throw new UserError(
    `${quote(nameOrId)} is neither a distribution in the config nor a distribution id such as E2EXAMPLE123. ${known} ${AUDIT_USAGE}`,
  );
}

/**
 * One JSON object per line (what SIEMs ingest), or one readable line per entry; newest first. A
 * break-glass change says whether an approver has reviewed it yet (`review`: open or done).
 */
export function formatAuditLine(e: AuditEntry, json: boolean, review?: "open" | "done"): string {
  return json
    ? JSON.stringify({ ...e, time: new Date(e.at).toISOString(), ...(review ? { review } : {}) })
    : `${new Date(e.at).toISOString()} ${e.type} ${e.actor?.userId ?? "cdnbot"} ${e.distributionId ?? "-"} ${e.summary}${review === "open" ? " [REVIEW OPEN: no approver has acknowledged it]" : ""}`;
}

/** Streams the matching entries, newest first, so an export never holds the whole log. */
export async function writeAuditExport(
  log: AuditStream,
  args: AuditExportArgs,
  write: (text: string) => void,
): Promise<void> {
  const query = {
    ...(args.since !== undefined ? { since: args.since } : {}),
    ...(args.distribution ? { distributionId: args.distribution } : {}),
  };
  // Newest first: a review's acknowledgement comes before the break-glass change it closes.
  const reviewed = new Set<string>();
  for await (const entry of log.entries(query)) {
    if (entry.type === "break-glass.reviewed" && entry.requestId) reviewed.add(entry.requestId);
    const review =
      entry.type === "change.break-glass"
        ? entry.requestId && reviewed.has(entry.requestId)
          ? ("done" as const)
          : ("open" as const)
        : undefined;
    write(`${formatAuditLine(entry, args.json, review)}\n`);
  }
}
