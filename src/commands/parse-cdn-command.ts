import { UserError } from "../errors.js";
import { code } from "../messages/format.js";

export type CdnCommand =
  | { verb: "purge"; distribution: string; paths: string[] }
  | { verb: "status"; distribution: string; invalidationId?: string }
  | { verb: "list" }
  | { verb: "help"; topic?: string };

export const COMMAND_USAGE: Record<CdnCommand["verb"], { usage: string; summary: string; example: string }> =
  {
    purge: {
      usage: "/cdn purge <distribution> <path> [path …]",
      summary:
        "Removes files from CloudFront's edge caches (an invalidation) and follows it in a thread until it is Completed. Paths start with `/`; a `*` may end a path; a full URL on the distribution's domain works too.",
      example: "/cdn purge web /index.html /css/*",
    },
    status: {
      usage: "/cdn status <distribution> [invalidation-id]",
      summary: "Shows the distribution's state and its recent invalidations, or one invalidation.",
      example: "/cdn status web",
    },
    list: {
      usage: "/cdn list",
      summary: "Lists the distributions this bot may act on, each with its live status.",
      example: "/cdn list",
    },
    help: {
      usage: "/cdn help [command]",
      summary: "Shows this help, or the help of one command.",
      example: "/cdn help purge",
    },
  };

const VERBS = Object.keys(COMMAND_USAGE) as CdnCommand["verb"][];

function isVerb(word: string): word is CdnCommand["verb"] {
  return (VERBS as string[]).includes(word);
}

/** Slack may wrap links as `<https://x|label>`; keep the target. */
function unwrapSlackLink(token: string): string {
  const match = /^<([^|>]+)(?:\|[^>]*)?>$/.exec(token);
  return match?.[1] ?? token;
}

export function tokenize(text: string): string[] {
  return text
    .trim()
    .split(/\s+/)
    .filter((t) => t.length > 0)
    .map(unwrapSlackLink);
}

export class UsageError extends UserError {
  constructor(
    message: string,
    readonly verb?: CdnCommand["verb"],
  ) {
    super(message);
  }
}

function usageOf(verb: CdnCommand["verb"]): string {
  const u = COMMAND_USAGE[verb];
  return `Usage: ${code(u.usage)}, e.g. ${code(u.example)}`;
}

export function parseCdnCommand(text: string): CdnCommand {
  const [first, ...rest] = tokenize(text);
  if (first === undefined) return { verb: "help" };
  const verb = first.toLowerCase();
  if (!isVerb(verb)) {
    throw new UsageError(
      `I don't know the command ${code(first)}. Try ${code("/cdn help")} for what I can do.`,
    );
  }
  switch (verb) {
    case "help":
      return rest[0] ? { verb, topic: rest[0].toLowerCase() } : { verb };
    case "list":
      if (rest.length > 0)
        throw new UsageError(`${code("/cdn list")} takes no arguments. ${usageOf(verb)}`, verb);
      return { verb };
    case "status": {
      const [distribution, invalidationId, ...extra] = rest;
      if (!distribution || extra.length > 0) {
        throw new UsageError(`Tell me which distribution. ${usageOf(verb)}`, verb);
      }
      return invalidationId ? { verb, distribution, invalidationId } : { verb, distribution };
    }
    case "purge": {
      const [distribution, ...paths] = rest;
      if (!distribution)
        throw new UsageError(`Tell me which distribution and which paths. ${usageOf(verb)}`, verb);
      if (paths.length === 0) throw new UsageError(`Tell me which paths to purge. ${usageOf(verb)}`, verb);
      return { verb, distribution, paths };
    }
  }
}
