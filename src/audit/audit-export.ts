import { z } from "zod";
import { UserError } from "../errors.js";
import type { AuditEntry } from "../store/records.js";
import { queryAudit } from "./audit-log.js";

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
  "Usage: npm run audit -- [--since 2026-11-01] [--distribution E2EXAMPLE123] [--json]";

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

/** One JSON object per line (what SIEMs ingest), or one readable line per entry. */
export function formatAuditExport(entries: readonly AuditEntry[], args: AuditExportArgs): string {
  const chosen = queryAudit(entries, {
    ...(args.since !== undefined ? { since: args.since } : {}),
    ...(args.distribution ? { distributionId: args.distribution } : {}),
  });
  const lines = chosen.map((e) =>
    args.json
      ? JSON.stringify({ ...e, time: new Date(e.at).toISOString() })
      : `${new Date(e.at).toISOString()} ${e.type} ${e.actor?.userId ?? "cdnbot"} ${e.distributionId ?? "-"} ${e.summary}`,
  );
  return lines.length > 0 ? `${lines.join("\n")}\n` : "";
}
