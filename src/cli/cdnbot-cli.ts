import { parseArgs } from "node:util";
import type { OperationStatus } from "../api/operation-status.js";
import { durationSchema } from "../config/policy-schema.js";
import {
  ApiAnswerError,
  type ApiClient,
  ApiUnreachableError,
  createApiClient,
  waitUntilFinal,
} from "./api-client.js";
import { serveMcpOverStdio } from "./mcp-stdio.js";

/** Exit codes a pipeline can branch on. */
export const EXIT = {
  /** Completed, deployed; or accepted, without --wait. */
  done: 0,
  failed: 1,
  /** Rejected, expired or cancelled: a person said no, or nobody said yes in time. */
  declined: 2,
  /** Still running (or awaiting approval) when --timeout passed. */
  timedOut: 3,
  /** cdnbot refused the request (forbidden, invalid, policy): nothing was done. */
  refused: 4,
  /** cdnbot could not be reached, or failed inside. */
  unreachable: 5,
  usage: 64,
} as const;

const USAGE = `Usage:
  cdnbot purge <distribution> <path | tag:name>… [--wait] [--timeout 30m] [--callback <url>] [--idempotency-key <key>] [--json]
  cdnbot status <operation> [--wait] [--timeout 30m] [--json]
  cdnbot promote <change> [--wait] [--json]      put a staged change on its distribution
  cdnbot abort <change> [--reason <text>] [--json]  take a staged change back
  cdnbot mcp        the MCP server over stdio, for an AI agent (tools: cdn_purge, cdn_change, cdn_wait…)

Talks to a running cdnbot's HTTP API: set CDNBOT_URL (e.g. https://cdnbot.example.com) and
CDNBOT_TOKEN (a client's token, from npm run api-token). The same policy as in Slack applies: a
purge that needs approval waits for a person there.

  --wait                 wait until the operation is final (or --timeout passes)
  --timeout <duration>   how long to wait: 90s, 30m, 2h (default 30m)
  --callback <url>       have cdnbot POST the final state there instead of waiting
  --idempotency-key <k>  the same key never purges twice (default: CDNBOT_IDEMPOTENCY_KEY, or a new one)
  --json                 print the operation as JSON

Exit codes: 0 completed or deployed (or accepted, without --wait), 1 failed, 2 rejected, expired or
cancelled, 3 still running at --timeout, 4 refused by cdnbot, 5 cdnbot unreachable, 64 usage.
`;

class UsageError extends Error {}

export type CliIo = { out: (text: string) => void; err: (text: string) => void; env: NodeJS.ProcessEnv };

function describe(op: OperationStatus): string {
  const what =
    op.kind === "purge" ? `purge of ${op.paths?.length ?? "?"} path(s)` : `change (${op.change ?? ""})`;
  const extra = [
    op.invalidationId ? `invalidation ${op.invalidationId}` : "",
    op.state === "awaiting-approval" && op.approval ? `waiting for approval by ${op.approval.askedOf}` : "",
    op.error ? `error: ${op.error}` : "",
    op.reason ? `reason: ${op.reason}` : "",
    op.staged ? `staged: ${op.staged.share}, ${op.staged.phase}` : "",
  ].filter(Boolean);
  return `${op.id}: ${what} on ${op.distribution}: ${op.state}${extra.length ? ` (${extra.join("; ")})` : ""}`;
}

function exitFor(op: OperationStatus, waited: boolean): number {
  if (op.state === "completed" || op.state === "deployed") return EXIT.done;
  if (op.state === "failed") return EXIT.failed;
  if (op.state === "rejected" || op.state === "expired" || op.state === "cancelled") return EXIT.declined;
  return waited ? EXIT.timedOut : EXIT.done;
}

/** Runs one command line; returns the exit code. */
export async function runCli(argv: string[], io: CliIo, makeClient = createApiClient): Promise<number> {
  // Known before the arguments are parsed, so even a usage error answers a pipeline in JSON.
  const json = argv.includes("--json");
  const fail = (exit: number, code: string, message: string, prose: string) => {
    // The reason for people on stderr, always; with --json, the same as data on stdout too.
    io.err(prose);
    if (json) io.out(`${JSON.stringify({ error: { code, message } }, null, 2)}\n`);
    return exit;
  };
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        wait: { type: "boolean", default: false },
        timeout: { type: "string", default: "30m" },
        callback: { type: "string" },
        "idempotency-key": { type: "string" },
        json: { type: "boolean", default: false },
        reason: { type: "string" },
        help: { type: "boolean", default: false },
      },
    });
    const [command, ...rest] = positionals;
    if (values.help || command === "help") {
      io.out(USAGE);
      return EXIT.done;
    }
    // Nothing asked: that is a usage error, told where errors go.
    if (!command) return fail(EXIT.usage, "usage", "Name a command.", USAGE);
    const timeout = durationSchema.safeParse(values.timeout);
    if (!timeout.success)
      throw new UsageError(`--timeout: a duration such as 90s, 30m or 2h, not ${values.timeout}.`);
    const url = io.env.CDNBOT_URL;
    const token = io.env.CDNBOT_TOKEN;
    if (!url || !token)
      throw new UsageError("Set CDNBOT_URL and CDNBOT_TOKEN (a client's token from npm run api-token).");
    const client: ApiClient = makeClient({ url, token });
    const deadline = Date.now() + timeout.data;

    if (command === "mcp") {
      if (rest.length > 0) throw new UsageError("cdnbot mcp takes no arguments.");
      // stdout is the protocol's from here on: nothing else may be written to it.
      await serveMcpOverStdio(client);
      return EXIT.done;
    }
    let op: OperationStatus;
    if (command === "purge") {
      const [distribution, ...paths] = rest;
      if (!distribution || paths.length === 0)
        throw new UsageError("Name a distribution and at least one path (or tag:name).");
      const key = values["idempotency-key"] ?? io.env.CDNBOT_IDEMPOTENCY_KEY;
      const { body } = await client.purge(
        { distribution, paths, ...(values.callback ? { callbackUrl: values.callback } : {}) },
        key || undefined,
      );
      op = body;
    } else if (command === "status") {
      const [id] = rest;
      if (!id || rest.length > 1) throw new UsageError("Name one operation, as the purge printed it.");
      op = (await client.operation(id)).body;
    } else if (command === "promote" || command === "abort") {
      const [id] = rest;
      if (!id || rest.length > 1) throw new UsageError(`Name the one staged change to ${command}.`);
      op = (await client.decideStaged(id, command, values.reason)).body;
    } else {
      throw new UsageError(`Unknown command ${JSON.stringify(command.slice(0, 40))}.`);
    }
    if (values.wait && !op.final) {
      io.err(`${describe(op)}; waiting…\n`);
      op = await waitUntilFinal(client, op.id, deadline);
    }
    io.out(values.json ? `${JSON.stringify(op, null, 2)}\n` : `${describe(op)}\n`);
    return exitFor(op, values.wait);
  } catch (error) {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
      const message = (error as Error).message;
      return fail(EXIT.usage, "usage", message, `${message}\n\n${USAGE}`);
    }
    if (error instanceof ApiAnswerError)
      return fail(
        EXIT.refused,
        error.code,
        error.message,
        `cdnbot refused (${error.code}): ${error.message}\n`,
      );
    if (error instanceof ApiUnreachableError)
      return fail(EXIT.unreachable, "unreachable", error.message, `${error.message}\n`);
    throw error;
  }
}

/** `npx cdnbot …` (src/cli/cdnbot.mjs, the entry point, passes the process's arguments and environment). */
export function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return runCli(argv, { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t), env });
}
