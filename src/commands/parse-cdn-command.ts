import { UserError } from "../errors.js";
import type { LogFilter } from "../logs/access-log-summary.js";
import { parseLogFilters, parseLogWindow } from "../logs/log-query.js";
import { WINDOW_LABELS } from "../metrics/metric-window.js";
import { closestWord } from "../text/closest-word.js";
import { quote } from "../text/plain-text.js";
import {
  CHANGE_USAGE,
  type ChangeCommand,
  isChangeWord,
  parseChangeCommand,
  takeBecause,
  takeStaged,
} from "./parse-change-command.js";
import { textAfterWords, tokenize } from "./slack-markup.js";
import { type Usage, UsageError, usageLine } from "./usage-error.js";

export type CdnCommand =
  | { verb: "purge"; distribution: string; paths: string[] }
  | { verb: "status"; distribution: string; invalidationId?: string }
  | { verb: "list" }
  | { verb: "pending" }
  | { verb: "cancel"; requestId: string }
  | { verb: "reject"; requestId: string; reason?: string }
  | { verb: "audit"; distribution?: string; limit: number }
  | { verb: "stats"; distribution: string; window?: string }
  | { verb: "logs"; distribution: string; window?: string; filter: LogFilter }
  | {
      verb: "watch";
      distribution: string;
      channelId?: string;
      thresholds: { "5xxErrorRate"?: number; "4xxErrorRate"?: number };
    }
  | { verb: "unwatch"; distribution: string; channelId?: string }
  | { verb: "watches" }
  | { verb: "incident"; distribution: string }
  | { verb: "tenants"; distribution: string; tenant?: string }
  | { verb: "env"; action: "list" }
  | { verb: "env"; action: "create"; template: string; name: string; origin: string; alias?: string }
  | { verb: "env"; action: "delete"; name: string }
  | { verb: "help"; topic?: string }
  | ChangeCommand;

type BaseVerb = Exclude<CdnCommand["verb"], ChangeCommand["verb"]>;

const BASE_USAGE: Record<BaseVerb, Usage> = {
  purge: {
    usage: "/cdn purge <distribution> <path | tag:name> […]",
    summary:
      "Removes files from CloudFront's edge caches (an invalidation) and follows it in a thread until it is Completed. Paths start with `/`; a `*` may end a path (a wildcard purge, which by default waits for someone else to approve it); a full URL on the distribution's domain works too. `tag:product-42` purges every object the origin tagged so, where the distribution reads cache tags (`/cdn cache-tags`).",
    example: "/cdn purge web /index.html /css/app.css",
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
  pending: {
    usage: "/cdn pending",
    summary: "Lists open approval requests you can act on: approve or reject others', withdraw your own.",
    example: "/cdn pending",
  },
  cancel: {
    usage: "/cdn cancel <request>",
    summary: "Withdraws a request of yours that is still waiting for approval.",
    example: "/cdn cancel R7K2M9Q",
  },
  reject: {
    usage: "/cdn reject <request> [reason]",
    summary:
      "Rejects a request waiting for approval, with a reason for the requester (the Reject button asks for none).",
    example: "/cdn reject R7K2M9Q wrong distribution",
  },
  audit: {
    usage: "/cdn audit [distribution] [--limit N]",
    summary:
      "Shows the most recent audit log entries (default 20, at most 100): requests, approvals, AWS calls and outcomes.",
    example: "/cdn audit web --limit 50",
  },
  stats: {
    usage: `/cdn stats <distribution> [${WINDOW_LABELS.join("|")}]`,
    summary:
      "Posts the distribution's CloudWatch metrics for the window (default 1h): requests, bytes, error rates, cache hit rate and origin latency, each with its change against the previous window and a sparkline, plus a chart in the thread.",
    example: "/cdn stats web 24h",
  },
  logs: {
    usage: "/cdn logs <distribution> [5m…24h] [status=5xx] [path=/api/*] [ip=…] [edge=FRA]",
    summary:
      "Sums up the distribution's access logs for the window (default 1h): requests, bytes, cache hit ratio, status mix, and the top paths, client IPs, edge locations and user agents, and the slowest paths; the filters narrow it. Read from the S3 bucket its standard logging (legacy) or logging v2 delivery writes to (one the config lists under `accessLogs.buckets`). Client IPs are masked except for the people the config names.",
    example: "/cdn logs web 6h status=5xx path=/api/*",
  },
  watch: {
    usage: "/cdn watch <distribution> [#channel] [--5xx 5%] [--4xx 20%]",
    summary:
      "Makes a channel (default: this one) an incident channel for the distribution: it gets every purge and change as it is asked, approved and done, and an alert when an error rate crosses its threshold and when it recovers.",
    example: "/cdn watch web #incidents --5xx 2%",
  },
  unwatch: {
    usage: "/cdn unwatch <distribution> [#channel]",
    summary: "Stops a channel (default: this one) watching the distribution.",
    example: "/cdn unwatch web #incidents",
  },
  watches: {
    usage: "/cdn watches",
    summary: "Lists which channels watch which distributions, with their thresholds.",
    example: "/cdn watches",
  },
  incident: {
    usage: "/cdn incident <distribution>",
    summary:
      "Posts one message that sums the distribution up now: its state, purges in flight and waiting for approval, the last changes and who made them, and its error rates with sparklines.",
    example: "/cdn incident web",
  },
  tenants: {
    usage: "/cdn tenants <distribution> [tenant | domain]",
    summary:
      "Lists the tenants of a multi-tenant distribution (each with its own domains), or shows one, found by its name or by a domain it serves, with its parameters.",
    example: "/cdn tenants saas acme",
  },
  env: {
    usage: "/cdn env create <template> <name> origin=<host> [alias=<host>] | delete <name> | list",
    summary:
      "Environment distributions: `create` makes a new distribution from a template in the config (a copy of one of the bot's distributions with this origin, and this alias under the template's domain), follows it until it is Deployed, and adds it to the bot's distributions under its name; `delete` disables it, waits until that is Deployed, then deletes it. Both wait for approval by default; the account's quota of distributions is checked first.",
    example: "/cdn env create preview pr-42 origin=pr-42.app.example.com alias=pr-42.preview.example.com",
  },
  help: {
    usage: "/cdn help [command]",
    summary: "Shows this help, or the help of one command.",
    example: "/cdn help purge",
  },
};

export const COMMAND_USAGE: Record<string, Usage> = { ...BASE_USAGE, ...CHANGE_USAGE };

function isVerb(word: string): word is BaseVerb {
  return Object.hasOwn(BASE_USAGE, word);
}

export { tokenize } from "./slack-markup.js";

export { UsageError } from "./usage-error.js";

function usageOf(verb: string): string {
  return usageLine(COMMAND_USAGE[verb]!);
}

export function parseCdnCommand(text: string): CdnCommand {
  const [first, ...rest] = tokenize(text);
  if (first === undefined) return { verb: "help" };
  const verb = first.toLowerCase();
  if (isChangeWord(verb)) {
    const { text: unstaged, staged } = takeStaged(text, verb);
    const { text: words, ...because } = takeBecause(unstaged, verb);
    const command = parseChangeCommand(verb, tokenize(words).slice(1), words);
    if (staged && command.verb !== "change")
      throw new UsageError(
        `${quote("--staged")} goes with a change, such as ${quote("/cdn ttl web default=600 --staged 5%")}.`,
        verb,
      );
    if ((because.reason || because.breakGlass) && command.verb !== "change" && command.verb !== "rollback")
      throw new UsageError(
        `${quote(because.breakGlass ? "--break-glass" : "--reason")} goes with a change or a rollback, such as ${quote('/cdn ttl web default=0 --reason "INC-231"')}.`,
        verb,
      );
    if (because.reason && because.breakGlass)
      throw new UsageError(`Give one reason: ${quote("--break-glass")}'s is the change's reason too.`, verb);
    return { ...command, ...(staged ? { staged } : {}), ...because };
  }
  if (!isVerb(verb)) {
    const guess = closestWord(verb, Object.keys(COMMAND_USAGE));
    if (guess)
      throw new UsageError(`I don't know the command ${quote(first)}. Did you mean ${quote(guess)}?`, guess);
    throw new UsageError(`I don't know the command ${quote(first)}.`);
  }
  switch (verb) {
    case "help":
      return rest[0] ? { verb, topic: rest[0].toLowerCase() } : { verb };
    case "list":
      if (rest.length > 0)
        throw new UsageError(`${quote("/cdn list")} takes no arguments. ${usageOf(verb)}`, verb);
      return { verb };
    case "status": {
      const [distribution, invalidationId, ...extra] = rest;
      if (!distribution || extra.length > 0) {
        throw new UsageError(`Tell me which distribution. ${usageOf(verb)}`, verb);
      }
      return invalidationId ? { verb, distribution, invalidationId } : { verb, distribution };
    }
    case "pending":
      if (rest.length > 0)
        throw new UsageError(`${quote("/cdn pending")} takes no arguments. ${usageOf(verb)}`, verb);
      return { verb };
    case "cancel": {
      const [requestId, ...extra] = rest;
      if (!requestId || extra.length > 0)
        throw new UsageError(`Tell me which request to withdraw. ${usageOf(verb)}`, verb);
      return { verb, requestId: requestId.toUpperCase() };
    }
    case "reject": {
      const [requestId] = rest;
      if (!requestId) throw new UsageError(`Tell me which request to reject. ${usageOf(verb)}`, verb);
      const reason = textAfterWords(text, 2).slice(0, 500);
      return reason
        ? { verb, requestId: requestId.toUpperCase(), reason }
        : { verb, requestId: requestId.toUpperCase() };
    }
    case "audit":
      return parseAudit(rest);
    case "stats": {
      const [distribution, window, ...extra] = rest;
      if (!distribution || extra.length > 0)
        throw new UsageError(`Tell me which distribution. ${usageOf(verb)}`, verb);
      return window ? { verb, distribution, window } : { verb, distribution };
    }
    case "logs":
      return parseLogs(rest);
    case "watch":
      return parseWatch(rest);
    case "unwatch": {
      const [distribution, channel, ...extra] = rest;
      if (!distribution || extra.length > 0)
        throw new UsageError(`Tell me which distribution. ${usageOf(verb)}`, verb);
      return channel
        ? { verb, distribution, channelId: parseChannel(channel, verb) }
        : { verb, distribution };
    }
    case "watches":
      if (rest.length > 0)
        throw new UsageError(`${quote("/cdn watches")} takes no arguments. ${usageOf(verb)}`, verb);
      return { verb };
    case "incident": {
      const [distribution, ...extra] = rest;
      if (!distribution || extra.length > 0)
        throw new UsageError(`Tell me which distribution. ${usageOf(verb)}`, verb);
      return { verb, distribution };
    }
    case "tenants": {
      const [distribution, tenant, ...extra] = rest;
      if (!distribution || extra.length > 0)
        throw new UsageError(`Tell me which distribution, and at most one tenant. ${usageOf(verb)}`, verb);
      return tenant ? { verb, distribution, tenant } : { verb, distribution };
    }
    case "env":
      return parseEnv(rest);
    case "purge": {
      const [distribution, ...paths] = rest;
      if (!distribution)
        throw new UsageError(`Tell me which distribution and which paths. ${usageOf(verb)}`, verb);
      if (paths.length === 0) throw new UsageError(`Tell me which paths to purge. ${usageOf(verb)}`, verb);
      return { verb, distribution, paths };
    }
  }
}

/** `logs <distribution> [window] [filter…]`: the window is the word without `=`, if any. */
function parseLogs(args: string[]): CdnCommand {
  const [distribution, ...more] = args;
  if (!distribution || distribution.includes("="))
    throw new UsageError(`Tell me which distribution. ${usageOf("logs")}`, "logs");
  const window = more[0] !== undefined && !more[0].includes("=") ? more.shift() : undefined;
  try {
    if (window !== undefined) parseLogWindow(window, 0);
    const filter = parseLogFilters(more);
    return window ? { verb: "logs", distribution, window, filter } : { verb: "logs", distribution, filter };
  } catch (error) {
    if (error instanceof UserError && !(error instanceof UsageError))
      throw new UsageError(`${error.message} ${usageOf("logs")}`, "logs");
    throw error;
  }
}

function parseEnv(args: string[]): CdnCommand {
  const [action = "list", ...rest] = args;
  switch (action.toLowerCase()) {
    case "list":
      if (rest.length > 0)
        throw new UsageError(`${quote("/cdn env list")} takes no arguments. ${usageOf("env")}`, "env");
      return { verb: "env", action: "list" };
    case "delete": {
      const [name, ...extra] = rest;
      if (!name || extra.length > 0)
        throw new UsageError(`Tell me which environment to delete. ${usageOf("env")}`, "env");
      return { verb: "env", action: "delete", name };
    }
    case "create": {
      const [template, name, ...options] = rest;
      if (!template || !name || template.includes("=") || name.includes("="))
        throw new UsageError(`Tell me the template and the new environment's name. ${usageOf("env")}`, "env");
      const kv: Record<string, string> = {};
      for (const option of options) {
        const match = /^(origin|alias)=(.+)$/.exec(option);
        if (!match || kv[match[1]!] !== undefined)
          throw new UsageError(
            `I don't understand ${quote(option)}; I take ${quote("origin=")} once and ${quote("alias=")} at most once. ${usageOf("env")}`,
            "env",
          );
        kv[match[1]!] = match[2]!;
      }
      if (!kv.origin)
        throw new UsageError(`Tell me its origin: ${quote("origin=<host>")}. ${usageOf("env")}`, "env");
      return {
        verb: "env",
        action: "create",
        template,
        name,
        origin: kv.origin,
        ...(kv.alias ? { alias: kv.alias } : {}),
      };
    }
    default:
      throw new UsageError(
        `${quote(action)} is not something ${quote("/cdn env")} does. ${usageOf("env")}`,
        "env",
      );
  }
}

function parseAudit(args: string[]): CdnCommand {
  let distribution: string | undefined;
  let limit = 20;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === "--limit") {
      const value = Number(args[++i]);
      if (!Number.isInteger(value) || value < 1 || value > 100) {
        throw new UsageError(
          `${quote("--limit")} takes a whole number from 1 to 100. ${usageOf("audit")}`,
          "audit",
        );
      }
      limit = value;
    } else if (arg.startsWith("--")) {
      throw new UsageError(`I don't know the option ${quote(arg)}. ${usageOf("audit")}`, "audit");
    } else if (distribution === undefined) {
      distribution = arg;
    } else {
      throw new UsageError(`Too many arguments. ${usageOf("audit")}`, "audit");
    }
  }
  return distribution ? { verb: "audit", distribution, limit } : { verb: "audit", limit };
}

function parseChannel(token: string, verb: string): string {
  const match = /^#([CG][A-Z0-9]{2,})$/.exec(token);
  if (!match) {
    throw new UsageError(
      `${quote(token)} is not a channel I can use: pick it from Slack's #-autocomplete so it arrives as a link. ${usageOf(verb)}`,
      verb,
    );
  }
  return match[1]!;
}

function parsePercent(value: string | undefined, flag: string): number {
  const match = /^(\d+(?:\.\d+)?)%?$/.exec(value ?? "");
  const n = Number(match?.[1]);
  if (!match || !(n > 0 && n <= 100)) {
    throw new UsageError(
      `${quote(flag)} takes a percentage from 0 to 100, e.g. ${quote(`${flag} 5%`)}. ${usageOf("watch")}`,
      "watch",
    );
  }
  return n;
}

function parseWatch(args: string[]): CdnCommand {
  const [distribution, ...rest] = args;
  if (!distribution || distribution.startsWith("--"))
    throw new UsageError(`Tell me which distribution. ${usageOf("watch")}`, "watch");
  const thresholds: { "5xxErrorRate"?: number; "4xxErrorRate"?: number } = {};
  let channelId: string | undefined;
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    if (arg === "--5xx") thresholds["5xxErrorRate"] = parsePercent(rest[++i], arg);
    else if (arg === "--4xx") thresholds["4xxErrorRate"] = parsePercent(rest[++i], arg);
    else if (arg.startsWith("--"))
      throw new UsageError(`I don't know the option ${quote(arg)}. ${usageOf("watch")}`, "watch");
    else if (channelId === undefined) channelId = parseChannel(arg, "watch");
    else throw new UsageError(`Too many arguments. ${usageOf("watch")}`, "watch");
  }
  return channelId
    ? { verb: "watch", distribution, channelId, thresholds }
    : { verb: "watch", distribution, thresholds };
}
