import type { RealtimeLogConfigInput } from "../aws/cloudfront-gateway.js";
import type { ChangeSpec } from "../store/change-spec.js";
import { MAX_STAGED_WEIGHT, STAGED_HEADER_PREFIX, type StagedTraffic } from "../store/staged-run.js";
import { quote } from "../text/plain-text.js";
import { decodeSlackText, textAfterWords } from "./slack-markup.js";
import { type Usage, UsageError, usageLine } from "./usage-error.js";

export type ChangeCommand =
  | ({ verb: "change"; distribution: string; spec: ChangeSpec; staged?: StagedTraffic } & Because)
  | {
      verb: "config";
      distribution: string;
      behavior?: string;
      section?: "waf" | "headers" | "cache-tags" | "logging";
    }
  | ({ verb: "rollback"; changeId: string } & Because)
  | { verb: "promote"; changeId: string }
  | { verb: "abort"; changeId: string; reason?: string }
  | { verb: "kv"; store: string; action: "get"; key: string }
  | { verb: "kv"; store: string; action: "list"; prefix?: string }
  | { verb: "kv"; store: string; action: "import"; url: string }
  | { verb: "realtime-logs"; action: "list" }
  | { verb: "realtime-logs"; action: "create" | "update"; input: RealtimeLogConfigInput };

/** Why, in the requester's words: `--reason "…"`, or `--break-glass "…"` (run now, reviewed after). */
export type Because = { reason?: string; breakGlass?: string };

export const CHANGE_USAGE = {
  config: {
    usage: "/cdn config <distribution> [behaviour]",
    summary:
      "Shows the distribution's current settings (origins, behaviours, TTLs, geo restriction …), or one behaviour's.",
    example: "/cdn config web /img/*",
  },
  ttl: {
    usage: "/cdn ttl <distribution> [behaviour] [min=S] [default=S] [max=S]",
    summary:
      "Changes the TTLs (seconds) of the default behaviour or of the behaviour with that path pattern; min ≤ default ≤ max. Where the behaviour uses a cache policy, the policy changes: the preview says which distributions share it; a policy AWS manages gets a custom copy for this behaviour.",
    example: "/cdn ttl web /img/* default=300 max=3600",
  },
  "cache-policy": {
    usage: "/cdn cache-policy <distribution> <behaviour> <policy-id>",
    summary: "Points a behaviour at another cache policy.",
    example: "/cdn cache-policy web default 4135ea2d-6df8-44a3-9df3-4b5a84be39ad",
  },
  origin: {
    usage: "/cdn origin <distribution> <origin-id> [domain=host] [path=/prefix]",
    summary: "Changes an origin's domain name and/or origin path (`path=` alone clears it).",
    example: "/cdn origin web site domain=new-bucket.s3.amazonaws.com",
  },
  route: {
    usage: "/cdn route <distribution> <behaviour> <origin-id>",
    summary: "Sends a behaviour's traffic to another origin (shift traffic).",
    example: "/cdn route web /api/* api-blue",
  },
  geo: {
    usage: "/cdn geo <distribution> none | allow <CC,CC…> | block <CC,CC…>",
    summary: "Sets the geographic restriction: none, an allow-list or a block-list of ISO country codes.",
    example: "/cdn geo web block KP,IR",
  },
  enable: {
    usage: "/cdn enable <distribution>[/<tenant>]",
    summary: "Enables the distribution, or one tenant of a multi-tenant distribution (`saas/acme`).",
    example: "/cdn enable web",
  },
  disable: {
    usage: "/cdn disable <distribution>[/<tenant>]",
    summary:
      "Disables the distribution, or one tenant (`saas/acme`): it stops serving requests once deployed.",
    example: "/cdn disable saas/acme",
  },
  params: {
    usage: "/cdn params <distribution>/<tenant> <name>=<value> [<name>=<value> …]",
    summary:
      "Sets a tenant's parameters (the values its distribution's config uses for it, e.g. its origin's host); `name=-` takes one away. Only parameters the distribution defines; a required one cannot be taken away. A change like the others (preview, approval, Deployed, rollback).",
    example: "/cdn params saas/acme origin=acme-prod.example.com",
  },
  "price-class": {
    usage: "/cdn price-class <distribution> 100|200|All",
    summary: "Sets the price class (which edge locations serve the distribution).",
    example: "/cdn price-class web 200",
  },
  "root-object": {
    usage: "/cdn root-object <distribution> <file>",
    summary: "Sets the default root object (`-` clears it).",
    example: "/cdn root-object web index.html",
  },
  comment: {
    usage: "/cdn comment <distribution> <text…>",
    summary: "Sets the distribution's comment (`-` clears it).",
    example: "/cdn comment web Public website",
  },
  "realtime-log": {
    usage: "/cdn realtime-log <distribution> <behaviour> attach <config-arn> | detach",
    summary: "Attaches a real-time log config to a behaviour, or detaches it.",
    example:
      "/cdn realtime-log web default attach arn:aws:cloudfront::123456789012:realtime-log-config/web-logs",
  },
  headers: {
    usage: "/cdn headers <distribution> [behaviour] <policy-id|name|none> | show [behaviour]",
    summary:
      "Attaches a response headers policy (HSTS, CSP, frame options … on every response; by id or by name, e.g. Managed-SecurityHeadersPolicy) to the default behaviour or the one with that path pattern, or takes it away (`none`); `show` lists the headers a behaviour's responses get.",
    example: "/cdn headers web Managed-SecurityHeadersPolicy",
  },
  "headers-policy": {
    usage:
      "/cdn headers-policy <distribution> [create] <policy> [hsts=S] [frame=DENY|SAMEORIGIN|none] [header=Name:value] [csp=<policy…>]",
    summary:
      "Changes a custom response headers policy (or, with `create`, makes one in the distribution's account): HSTS max-age (seconds), X-Frame-Options, a custom header, the Content-Security-Policy (last: it takes the rest of the line; `csp=none` removes it). The preview says which distributions share the policy; all of them get the headers.",
    example: "/cdn headers-policy web strict-csp hsts=63072000 frame=DENY csp=default-src 'self'",
  },
  waf: {
    usage: "/cdn waf <distribution>[/<tenant>] attach <web-acl-arn> | detach | show",
    summary:
      "Puts an AWS WAF web ACL the config lists (`waf.webAcls`) in front of the distribution (or of one tenant, `saas/acme`, over its distribution's), takes it away, or shows which one is there: a change like the others (preview, approval, Deployed), for an incident that calls for blocking at the edge.",
    example: "/cdn waf web attach arn:aws:wafv2:us-east-1:123456789012:global/webacl/block-bots/a1b2c3d4",
  },
  "cache-tags": {
    usage: "/cdn cache-tags <distribution> header=<Header-Name> | off | show",
    summary:
      "Turns on purges by cache tag: CloudFront reads the tags of each object from this response header of the origin's (e.g. `Cache-Tag: product-42, sale`), and `/cdn purge web tag:product-42` then purges every object so tagged. `off` turns it off. A change like the others (preview, approval, Deployed).",
    example: "/cdn cache-tags web header=Cache-Tag",
  },
  logging: {
    usage:
      "/cdn logging <distribution> on to=s3:<bucket>[/prefix]|logs:<group>|firehose:<stream> [format=json|w3c|parquet|plain] [fields=a,b] | on bucket=<bucket> [prefix=<p>] | off [legacy] | show",
    summary:
      "Delivers the distribution's access logs with standard logging v2 (CloudWatch Logs' vended logs) to an S3 bucket, a log group or a Firehose stream the config lists (`accessLogs.buckets`, `.logGroups`, `.firehoseStreams`), in the format and with the fields chosen; `off` stops what is on; `show` says where its logs go. `bucket=` is standard logging (legacy), which needs a bucket with ACLs enabled (buckets made since April 2023 have them disabled). A change like the others (preview, approval, rollback).",
    example: "/cdn logging web on to=s3:security-logs/web format=json",
  },
  "realtime-logs": {
    usage:
      "/cdn realtime-logs list | create|update <name> stream=<kinesis-arn> role=<iam-role-arn> fields=a,b sampling=<1-100>",
    summary: "Lists, creates or updates real-time log configs (they deliver to a Kinesis data stream).",
    example:
      "/cdn realtime-logs create web-logs stream=arn:aws:kinesis:us-east-1:123456789012:stream/cdn role=arn:aws:iam::123456789012:role/cf-rt fields=timestamp,c-ip,sc-status sampling=10",
  },
  kv: {
    usage: "/cdn kv <store> get <key> | list [prefix] | set <key> <value…> | delete <key> | import <url>",
    summary:
      'Reads and changes a CloudFront KeyValueStore the config names (`keyValueStores`: redirects, feature flags, block lists that CloudFront Functions read). `set` and `delete` are changes like the others: a preview of the old and new value, the store\'s policy and approval, the store\'s ETag read just before the write, and `/cdn rollback`. The value is the rest of the line, spaces kept. `import` reads up to 50 keys from a JSON file at a URL the config allows (`importFrom`): CloudFront\'s own format, `{"data": [{"key": …, "value": …}]}`, or an object of keys; written at once, all or nothing. Keep secrets out: a store\'s values are readable by whoever may read it.',
    example: "/cdn kv redirects set /old-pricing /pricing",
  },
  promote: {
    usage: "/cdn promote <change-id>",
    summary:
      "Puts a staged change on its distribution: any change takes `--staged 5%` (a share of requests, at most 15%) or `--staged header=aws-cf-cd-<name>:<value>` and is written to the distribution's staging copy first, serves that share while its error rates and origin latency are compared with the primary's, and is pulled back by itself if it does worse. Promote once its soak passed, or early; where changes need approval, someone other than its requester promotes it.",
    example: "/cdn promote R7K2M9Q",
  },
  abort: {
    usage: "/cdn abort <change-id> [reason…]",
    summary: "Takes a staged change back: its traffic returns to the primary, which was never written.",
    example: "/cdn abort R7K2M9Q error pages look wrong",
  },
  rollback: {
    usage: "/cdn rollback <change-id>",
    summary:
      "Proposes the inverse of an earlier change (its before-values), through the same preview, approval and write.",
    example: "/cdn rollback R7K2M9Q",
  },
} satisfies Record<string, Usage>;

export type ChangeWord = keyof typeof CHANGE_USAGE;

export function isChangeWord(word: string): word is ChangeWord {
  return Object.hasOwn(CHANGE_USAGE, word);
}

function fail(word: ChangeWord, problem: string): never {
  throw new UsageError(`${problem} ${usageLine(CHANGE_USAGE[word])}`, word);
}

/**
 * `--staged 5%` or `--staged header=aws-cf-cd-<name>:<value>`, anywhere in a change's words: taken
 * out of the text (so a comment or a key's value never swallows it) and read as the share.
 */
export function takeStaged(text: string, word: ChangeWord): { text: string; staged?: StagedTraffic } {
  const match = /(^|\s)--staged(?:=|\s+|$)(\S*)/.exec(text);
  if (!match) return { text };
  const rest =
    `${text.slice(0, match.index).trimEnd()} ${text.slice(match.index + match[0].length).trimStart()}`.trim();
  const value = match[2] ?? "";
  const percent = /^(\d{1,2}(?:\.\d{1,2})?)%$/.exec(value);
  if (percent) {
    const weight = Number(percent[1]) / 100;
    if (weight <= 0 || weight > MAX_STAGED_WEIGHT)
      fail(
        word,
        `CloudFront sends a staging copy more than 0% and at most ${MAX_STAGED_WEIGHT * 100}% of requests; ${quote(value)} is not that.`,
      );
    return { text: rest, staged: { weight } };
  }
  const header = /^header=([^:]+):(.+)$/i.exec(value);
  if (header) {
    const [, name, headerValue] = header;
    if (!name!.toLowerCase().startsWith(STAGED_HEADER_PREFIX) || !/^[A-Za-z0-9-]{1,110}$/.test(name!))
      fail(
        word,
        `CloudFront sends requests to a staging copy by a header whose name starts with ${quote(STAGED_HEADER_PREFIX)}, e.g. ${quote("--staged header=aws-cf-cd-canary:1")}.`,
      );
    if (!/^[\x21-\x7e]{1,256}$/.test(headerValue!))
      fail(word, "The header's value is 1 to 256 visible characters, no spaces.");
    return { text: rest, staged: { header: { name: name!, value: headerValue! } } };
  }
  return fail(
    word,
    `${quote("--staged")} takes a share of requests such as ${quote("5%")} (at most ${MAX_STAGED_WEIGHT * 100}%) or ${quote("header=aws-cf-cd-canary:1")}.`,
  );
}

const MAX_REASON = 300;

/**
 * `--reason "…"` and `--break-glass "…"`, anywhere in a change's words: taken out of the text (a
 * comment or a key's value never swallows them). The words are in straight or curly quotes (Slack
 * turns `"` into `“…”` on some keyboards), or one word without them.
 */
export function takeBecause(text: string, word: ChangeWord): { text: string } & Because {
  let rest = text;
  const out: Because = {};
  for (const [flag, key] of [
    ["--reason", "reason"],
    ["--break-glass", "breakGlass"],
  ] as const) {
    const match = new RegExp(`(^|\\s)${flag}(?:=|\\s+)(?:"([^"]*)"|“([^”]*)”|'([^']*)'|([^\\s"“']+))`).exec(
      rest,
    );
    if (!match) {
      if (new RegExp(`(^|\\s)${flag}(=|\\s|$)`).test(rest))
        fail(
          word,
          `${quote(flag)} takes the reason in quotes, e.g. ${quote(`${flag} "origin melting, INC-231"`)}.`,
        );
      continue;
    }
    const said = decodeSlackText(match[2] ?? match[3] ?? match[4] ?? match[5] ?? "").trim();
    if (said === "") fail(word, `Say why after ${quote(flag)}, in quotes.`);
    if ([...said].length > MAX_REASON) fail(word, `Keep the reason under ${MAX_REASON} characters.`);
    out[key] = said;
    rest =
      `${rest.slice(0, match.index).trimEnd()} ${rest.slice(match.index + match[0].length).trimStart()}`.trim();
  }
  return { text: rest, ...out };
}

/** `key=value` arguments; anything else is refused. */
function keyValues(word: ChangeWord, args: string[], allowed: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const arg of args) {
    const match = /^([a-z-]+)=(.*)$/.exec(arg);
    if (!match || !allowed.includes(match[1]!))
      fail(
        word,
        `I don't understand ${quote(arg)}; I take ${allowed.map((a) => quote(`${a}=`)).join(", ")}.`,
      );
    out[match[1]!] = match[2]!;
  }
  return out;
}

function seconds(word: ChangeWord, key: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,10}$/.test(value))
    fail(word, `${quote(`${key}=`)} takes a whole number of seconds, e.g. ${quote(`${key}=300`)}.`);
  return Number(value);
}

const PRICE: Record<string, "PriceClass_100" | "PriceClass_200" | "PriceClass_All"> = {
  "100": "PriceClass_100",
  "200": "PriceClass_200",
  all: "PriceClass_All",
  priceclass_100: "PriceClass_100",
  priceclass_200: "PriceClass_200",
  priceclass_all: "PriceClass_All",
};

export function parseChangeCommand(word: ChangeWord, args: string[], rawText: string): ChangeCommand {
  const [distribution, ...rest] = args;
  const change = (spec: ChangeSpec): ChangeCommand => ({ verb: "change", distribution: distribution!, spec });
  if (word === "kv") return parseKeyValue(word, args, rawText);
  if (word === "promote" || word === "abort") {
    if (!distribution) fail(word, `Tell me which change to ${word}.`);
    if (word === "promote" && rest.length > 0) fail(word, "Too many arguments.");
    const reason = word === "abort" ? textAfterWords(rawText, 2).slice(0, 500) : "";
    return reason ? { verb: word, changeId: distribution, reason } : { verb: word, changeId: distribution };
  }
  if (word !== "realtime-logs" && word !== "rollback" && !distribution)
    fail(word, "Tell me which distribution.");
  switch (word) {
    case "config":
      if (rest.length > 1) fail(word, "Too many arguments.");
      return rest[0]
        ? { verb: "config", distribution: distribution!, behavior: rest[0] }
        : { verb: "config", distribution: distribution! };
    case "rollback":
      if (!distribution || rest.length > 0) fail(word, "Tell me which change to roll back.");
      return { verb: "rollback", changeId: distribution };
    case "ttl":
      return parseTtl(word, rest, change);
    case "cache-policy":
      if (rest.length !== 2) fail(word, "Tell me the behaviour and the policy id.");
      return change({ kind: "cache-policy", behavior: rest[0]!, cachePolicyId: rest[1]! });
    case "origin": {
      const [originId, ...more] = rest;
      if (!originId) fail(word, "Tell me which origin.");
      const kv = keyValues(word, more, ["domain", "path"]);
      return change({
        kind: "origin",
        originId,
        ...(kv.domain !== undefined ? { domainName: kv.domain } : {}),
        ...(kv.path !== undefined ? { originPath: kv.path } : {}),
      });
    }
    case "route":
      if (rest.length !== 2) fail(word, "Tell me the behaviour and the origin.");
      return change({ kind: "target-origin", behavior: rest[0]!, originId: rest[1]! });
    case "geo":
      return parseGeo(word, rest, change);
    case "enable":
    case "disable":
      if (rest.length > 0) fail(word, "Too many arguments.");
      return change({ kind: "enabled", enabled: word === "enable" });
    case "params":
      return parseParams(word, distribution!, rest, change);
    case "price-class": {
      const priceClass = PRICE[(rest[0] ?? "").toLowerCase()];
      if (!priceClass || rest.length !== 1) fail(word, "The price class is 100, 200 or All.");
      return change({ kind: "price-class", priceClass });
    }
    case "root-object":
      if (rest.length !== 1) fail(word, "Tell me the file.");
      return change({ kind: "root-object", defaultRootObject: rest[0] === "-" ? "" : rest[0]! });
    case "comment": {
      // The comment is the rest of the text as typed, spaces included; `-` clears it.
      const comment = textAfterWords(rawText, 2);
      if (comment === "") fail(word, "Tell me the comment (`-` clears it).");
      return change({ kind: "comment", comment: comment === "-" ? "" : comment });
    }
    case "realtime-log":
      return parseRealtimeLog(word, rest, change);
    case "headers":
      return parseHeaders(word, distribution!, rest, change);
    case "headers-policy":
      return parseHeadersPolicy(word, rest, rawText, change);
    case "waf": {
      const [action, arn, ...extra] = rest;
      if (extra.length > 0) fail(word, "Too many arguments.");
      if (action === "show" && !arn) return { verb: "config", distribution: distribution!, section: "waf" };
      if (action === "detach" && !arn) return change({ kind: "web-acl", webAclArn: null });
      if (action === "attach" && arn) return change({ kind: "web-acl", webAclArn: arn });
      return fail(word, "Say `attach <web ACL ARN>`, `detach` or `show`.");
    }
    case "cache-tags": {
      const [what, ...extra] = rest;
      if (extra.length > 0) fail(word, "Too many arguments.");
      if (what === "show") return { verb: "config", distribution: distribution!, section: "cache-tags" };
      if (what === "off") return change({ kind: "cache-tags", headerName: null });
      const header = /^header=(.+)$/i.exec(what ?? "")?.[1];
      if (header) return change({ kind: "cache-tags", headerName: header });
      return fail(word, "Say `header=<Header-Name>`, `off` or `show`.");
    }
    case "logging":
      return parseLogging(word, distribution!, rest, change);
    case "realtime-logs":
      return parseRealtimeLogs(word, args);
  }
}

/** `params <distribution>/<tenant> name=value … | name=-`: parameter names and values as CloudFront takes them. */
function parseParams(
  word: ChangeWord,
  target: string,
  rest: string[],
  change: (spec: ChangeSpec) => ChangeCommand,
): ChangeCommand {
  if (!target.includes("/"))
    fail(word, `Parameters are a tenant's: name it as ${quote(`${target}/<tenant>`)}.`);
  if (rest.length === 0) fail(word, "Tell me at least one `<name>=<value>`.");
  const set: Record<string, string | null> = {};
  for (const arg of rest) {
    const match = /^([A-Za-z0-9_-]{1,128})=(.*)$/.exec(arg);
    if (!match)
      fail(
        word,
        `I don't understand ${quote(arg)}: a parameter is \`<name>=<value>\`, its name letters, digits, \`-\` or \`_\`.`,
      );
    const [, name, value] = match;
    if (value === "" || value!.length > 256)
      fail(word, `${quote(`${name}=`)} takes a value of 1 to 256 characters (\`${name}=-\` takes it away).`);
    set[name!] = value === "-" ? null : value!;
  }
  return change({ kind: "tenant-parameters", set });
}

/** `kv <store> get <key> | list [prefix] | set <key> <value…> | delete <key>`. */
function parseKeyValue(word: ChangeWord, args: string[], rawText: string): ChangeCommand {
  const [store, action, key, ...rest] = args;
  if (!store) fail(word, "Tell me which key-value store.");
  const change = (set: Record<string, string | null>): ChangeCommand => ({
    verb: "change",
    distribution: store,
    spec: { kind: "kv", set },
  });
  switch ((action ?? "").toLowerCase()) {
    case "get":
      if (!key || rest.length > 0) fail(word, "Tell me one key.");
      return { verb: "kv", store, action: "get", key };
    case "list":
      if (rest.length > 0) fail(word, "Give at most one prefix.");
      return key ? { verb: "kv", store, action: "list", prefix: key } : { verb: "kv", store, action: "list" };
    case "delete":
      if (!key || rest.length > 0) fail(word, "Tell me one key to delete.");
      return change({ [key]: null });
    case "import":
      if (!key || rest.length > 0) fail(word, "Tell me the one URL to import from.");
      return { verb: "kv", store, action: "import", url: key };
    case "set": {
      // The value is the rest of the line as typed, spaces kept.
      const value = textAfterWords(rawText, 4);
      if (!key || value === "") fail(word, "Tell me the key and its value.");
      return change({ [key]: value });
    }
    default:
      return fail(
        word,
        "Say `get <key>`, `list [prefix]`, `set <key> <value>`, `delete <key>` or `import <url>`.",
      );
  }
}

/** `ttl [behaviour] min= default= max=`: the seconds given, the others kept. */
function parseTtl(
  word: ChangeWord,
  rest: string[],
  change: (spec: ChangeSpec) => ChangeCommand,
): ChangeCommand {
  const behavior = rest[0] && !rest[0].includes("=") ? rest.shift()! : "default";
  const kv = keyValues(word, rest, ["min", "default", "max"]);
  const [minTtl, defaultTtl, maxTtl] = [
    seconds(word, "min", kv.min),
    seconds(word, "default", kv.default),
    seconds(word, "max", kv.max),
  ];
  return change({
    kind: "ttl",
    behavior,
    ...(minTtl !== undefined ? { minTtl } : {}),
    ...(defaultTtl !== undefined ? { defaultTtl } : {}),
    ...(maxTtl !== undefined ? { maxTtl } : {}),
  });
}

/** `geo none`, `geo allow <codes>`, `geo block <codes>`. */
function parseGeo(
  word: ChangeWord,
  rest: string[],
  change: (spec: ChangeSpec) => ChangeCommand,
): ChangeCommand {
  const [mode, list, ...extra] = rest;
  if (extra.length > 0) fail(word, "Separate country codes with commas, without spaces.");
  if (mode === "none" && !list) return change({ kind: "geo", restriction: "none", countries: [] });
  if ((mode === "allow" || mode === "block") && list) {
    return change({
      kind: "geo",
      restriction: mode === "allow" ? "whitelist" : "blacklist",
      countries: list.split(",").filter(Boolean),
    });
  }
  return fail(word, "Say `none`, `allow <codes>` or `block <codes>`.");
}

/** `realtime-log <behaviour> attach <arn>` or `detach`. */
function parseRealtimeLog(
  word: ChangeWord,
  rest: string[],
  change: (spec: ChangeSpec) => ChangeCommand,
): ChangeCommand {
  const [behavior, action, arn, ...extra] = rest;
  if (!behavior || extra.length > 0) fail(word, "Tell me the behaviour and `attach <arn>` or `detach`.");
  if (action === "detach" && !arn)
    return change({ kind: "realtime-log", behavior, realtimeLogConfigArn: null });
  if (action === "attach" && arn && /^arn:aws[a-z-]*:cloudfront::\d{12}:realtime-log-config\/.+$/.test(arn)) {
    return change({ kind: "realtime-log", behavior, realtimeLogConfigArn: arn });
  }
  return fail(word, "Say `attach <real-time log config ARN>` or `detach`.");
}

/** `headers [behaviour] <policy|none>`, or `headers show [behaviour]`. */
function parseHeaders(
  word: ChangeWord,
  distribution: string,
  rest: string[],
  change: (spec: ChangeSpec) => ChangeCommand,
): ChangeCommand {
  if (rest[0] === "show") {
    if (rest.length > 2) fail(word, "Too many arguments.");
    return rest[1]
      ? { verb: "config", distribution: distribution!, behavior: rest[1], section: "headers" }
      : { verb: "config", distribution: distribution!, section: "headers" };
  }
  if (rest.length === 0 || rest.length > 2) fail(word, "Tell me the policy (or `none`), or `show`.");
  const [behavior, policy] = rest.length === 2 ? [rest[0]!, rest[1]!] : ["default", rest[0]!];
  return change({
    kind: "response-headers-policy",
    behavior,
    responseHeadersPolicyId: policy.toLowerCase() === "none" ? null : policy,
  });
}

/** `headers-policy [create] <policy> hsts= frame= header= csp=…` (csp= takes the rest of the line). */
function parseHeadersPolicy(
  word: ChangeWord,
  rest: string[],
  rawText: string,
  change: (spec: ChangeSpec) => ChangeCommand,
): ChangeCommand {
  const creating = rest[0] === "create";
  const [policy, ...options] = creating ? rest.slice(1) : rest;
  if (!policy || policy.includes("=")) fail(word, "Tell me which policy (its name or id).");
  // csp= takes the rest of the line, spaces and quotes as typed.
  const cspAt = options.findIndex((o) => o.startsWith("csp="));
  const kv = keyValues(word, cspAt < 0 ? options : options.slice(0, cspAt), ["hsts", "frame", "header"]);
  const csp =
    cspAt < 0
      ? undefined
      : textAfterWords(rawText, (creating ? 4 : 3) + cspAt)
          .replace(/^csp=/, "")
          .trim();
  const hsts = seconds(word, "hsts", kv.hsts);
  const frame = kv.frame?.toUpperCase();
  if (frame !== undefined && !["DENY", "SAMEORIGIN", "NONE"].includes(frame))
    fail(word, "`frame=` is `DENY`, `SAMEORIGIN` or `none`.");
  const header = kv.header === undefined ? undefined : /^([^:]+):(.*)$/.exec(kv.header);
  if (kv.header !== undefined && !header) fail(word, "`header=` is `Name:value`.");
  return change({
    ...(creating
      ? { kind: "headers-policy-create" as const, name: policy! }
      : { kind: "headers-policy" as const, policy: policy! }),
    ...(hsts !== undefined ? { hstsMaxAge: hsts } : {}),
    ...(frame !== undefined
      ? { frameOption: frame === "NONE" ? null : (frame as "DENY" | "SAMEORIGIN") }
      : {}),
    ...(header ? { header: { name: header[1]!.trim(), value: header[2]!.trim() } } : {}),
    ...(csp !== undefined
      ? { csp: csp.toLowerCase() === "none" ? null : csp.replace(/^"(.*)"$/, "$1") }
      : {}),
  });
}

/**
 * `logging on to=s3:<bucket>[/prefix]|logs:<group>|firehose:<stream> [format=] [fields=a,b]` (logging
 * v2), `logging on bucket= [prefix=] [cookies=yes|no]` (standard logging, legacy), `logging off
 * [legacy]`, or `logging show`.
 */
function parseLogging(
  word: ChangeWord,
  distribution: string,
  rest: string[],
  change: (spec: ChangeSpec) => ChangeCommand,
): ChangeCommand {
  const [mode, ...more] = rest;
  if (mode === "show" && more.length === 0) return { verb: "config", distribution, section: "logging" };
  if (mode === "off" && more.length === 0) return change({ kind: "log-delivery", destination: null });
  if (mode === "off" && more.length === 1 && more[0] === "legacy")
    return change({ kind: "logging", enabled: false });
  if (mode !== "on")
    return fail(
      word,
      "Say `on to=s3:<bucket>[/prefix]` (or `to=logs:<group>`, `to=firehose:<stream>`), `off` or `show`.",
    );
  const kv = keyValues(word, more, ["to", "format", "fields", "bucket", "prefix", "cookies"]);
  if (kv.to !== undefined) {
    if (kv.bucket !== undefined || kv.prefix !== undefined || kv.cookies !== undefined)
      fail(
        word,
        "`to=` is logging v2; `bucket=`, `prefix=` and `cookies=` are standard logging (legacy): give one or the other.",
      );
    if (!/^(s3|logs|firehose):./.test(kv.to))
      fail(word, "`to=` is `s3:<bucket>[/prefix]`, `logs:<log-group>` or `firehose:<stream>`.");
    if (kv.format !== undefined && !["w3c", "json", "parquet", "plain"].includes(kv.format))
      fail(word, "`format=` is `w3c`, `json`, `parquet` (S3 only) or `plain`.");
    const fields = kv.fields?.split(",").filter(Boolean);
    if (fields && (fields.length === 0 || fields.some((f) => !/^[a-z0-9()-]{1,64}$/i.test(f))))
      fail(
        word,
        "`fields=` is CloudFront's log field names, comma-separated, e.g. `fields=date,time,c-ip,cs-uri-stem,sc-status`.",
      );
    return change({
      kind: "log-delivery",
      destination: kv.to,
      ...(kv.format !== undefined ? { format: kv.format as "w3c" } : {}),
      ...(fields ? { fields } : {}),
    });
  }
  if (kv.format !== undefined || kv.fields !== undefined)
    fail(word, "`format=` and `fields=` go with logging v2's `to=`.");
  if (!kv.bucket)
    fail(word, "Tell me where: `to=s3:<bucket>[/prefix]` (logging v2), or `bucket=<name>` (legacy).");
  if (kv.cookies !== undefined && kv.cookies !== "yes" && kv.cookies !== "no")
    fail(word, "`cookies=` is `yes` or `no`.");
  return change({
    kind: "logging",
    enabled: true,
    bucket: kv.bucket,
    ...(kv.prefix !== undefined ? { prefix: kv.prefix } : {}),
    ...(kv.cookies !== undefined ? { includeCookies: kv.cookies === "yes" } : {}),
  });
}

/** `realtime-logs list`, or `create`/`update <name> stream= role= fields= sampling=`. */
function parseRealtimeLogs(word: ChangeWord, args: string[]): ChangeCommand {
  const [action, name, ...more] = args;
  if (action === "list" && !name) return { verb: "realtime-logs", action: "list" };
  if ((action === "create" || action === "update") && name) {
    const kv = keyValues(word, more, ["stream", "role", "fields", "sampling"]);
    for (const key of ["stream", "role", "fields", "sampling"])
      if (kv[key] === undefined) fail(word, `${quote(`${key}=`)} is required.`);
    return {
      verb: "realtime-logs",
      action,
      input: {
        name,
        streamArn: kv.stream!,
        roleArn: kv.role!,
        fields: kv.fields!.split(",").filter(Boolean),
        samplingRate: Number(kv.sampling),
      },
    };
  }
  return fail(word, "Say `list`, or `create`/`update` with a name.");
}
