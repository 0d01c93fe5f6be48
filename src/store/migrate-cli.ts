import type { TransferReport } from "./store-transfer.js";

export const MIGRATE_USAGE = "Usage: npm run migrate -- --to dynamodb";

/** `npm run migrate -- --to dynamodb`: the one move there is (from the state file to the table). */
export function parseMigrateArgs(argv: readonly string[]): { to: "dynamodb" } {
  const [flag, to, ...rest] = argv;
  if (flag !== "--to" || to === undefined) throw new Error(`Say where to move the state. ${MIGRATE_USAGE}`);
  if (to !== "dynamodb")
    throw new Error(`The state can move to DynamoDB only (--to dynamodb), not to "${to.slice(0, 40)}".`);
  if (rest.length > 0) throw new Error(`Unexpected "${rest[0]!.slice(0, 40)}". ${MIGRATE_USAGE}`);
  return { to };
}

/** What the migration did, for the person who ran it: counts, what is left to do, and any conflict. */
export function formatTransferReport(report: TransferReport, from: string, table: string): string {
  const copied = Object.entries(report.copied)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([what, n]) => `  ${what}: ${n}`);
  const lines = [
    `Moved the state in ${from} to the DynamoDB table ${table}.`,
    copied.length > 0 ? "Copied:" : "Copied nothing new.",
    ...copied,
  ];
  if (report.same > 0) lines.push(`Already in the table, the same: ${report.same} (an earlier run's copy).`);
  if (report.different.length > 0) {
    const shown = report.different.slice(0, 10).map((d) => `  ${d}`);
    const more = report.different.length - shown.length;
    lines.push(
      `Already in the table and different, left as they are: ${report.different.length}.`,
      ...shown,
      ...(more > 0 ? [`  … and ${more} more`] : []),
      "The table was in use already: migrate into a new, empty table (store.dynamodb.table), or keep this one and leave the state file.",
    );
  } else {
    lines.push(
      `Start the bot with this config: it keeps its state in ${table} from now on. ${from} is no longer read; keep it as a backup until you are satisfied.`,
    );
  }
  return `${lines.join("\n")}\n`;
}
