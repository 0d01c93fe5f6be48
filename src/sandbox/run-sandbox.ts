import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hashToken, mintToken } from "../api/api-clients.js";
import { createCdnbot } from "../app.js";
import { readEnv } from "../config/env.js";
import { loadConfig } from "../config/load-config.js";
import { DistributionDirectory } from "../directory/distribution-directory.js";
import { UserError } from "../errors.js";
import { createLogger } from "../logger.js";
import { lowdbBotStore } from "../store/bot-store.js";
import { StateStore } from "../store/state-store.js";
import { DEMO_DISTRIBUTIONS } from "./demo-distributions.js";
import { freePort } from "./free-port.js";
import { motoAws, type SandboxAws, simulatedAws } from "./sandbox-aws.js";
import { sandboxPageRoutes } from "./sandbox-page.js";
import { SANDBOX_LOG_BUCKET } from "./simulated-access-logs.js";
import { type SlackStandIn, startSlackStandIn } from "./slack-standin.js";
import { SlackWorkspace } from "./slack-workspace.js";

export const SANDBOX_USAGE = `npm run sandbox [-- --port 3300] [--speed 1] [--data <dir>] [--moto]

  --port   where the page is served (default 3300; 0 picks a free port)
  --speed  how much faster than CloudFront the simulation runs (default 1: invalidations take
           20–40 s, deploys 1–2 minutes; 10 makes them ten times quicker)
  --data   keep the bot's state in this directory (default: a new temporary one)
  --moto   use moto_server (on the PATH) for AWS instead of the built-in simulation`;

export type SandboxArgs = { port: number; speed: number; data?: string; moto?: boolean };

/** The arguments of `npm run sandbox`; a problem is thrown as one sentence with the usage. */
export function parseSandboxArgs(argv: string[]): SandboxArgs {
  const args: SandboxArgs = { port: 3300, speed: 1 };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (flag === "--help" || flag === "-h") throw new UserError(SANDBOX_USAGE);
    if (flag === "--moto") {
      args.moto = true;
      continue;
    }
    if (flag !== "--port" && flag !== "--speed" && flag !== "--data")
      throw new UserError(`I don't know the argument ${flag}.\n${SANDBOX_USAGE}`);
    if (value === undefined || value.startsWith("--"))
      throw new UserError(`${flag} needs a value.\n${SANDBOX_USAGE}`);
    i++;
    if (flag === "--port") {
      if (!/^\d+$/.test(value) || Number(value) > 65_535)
        throw new UserError(`--port takes a port number (0–65535), not ${value}.`);
      args.port = Number(value);
    } else if (flag === "--speed") {
      const speed = Number(value);
      if (!Number.isFinite(speed) || speed < 0.1 || speed > 1000)
        throw new UserError(`--speed takes a number from 0.1 to 1000, not ${value}.`);
      args.speed = speed;
    } else args.data = value;
  }
  return args;
}

/**
 * The sandbox's config: the demo distributions (their API requests threaded in #deploys), alerts
 * checked often enough to see in a demo, one API client for trying `npx cdnbot` and MCP, and an
 * environment template.
 */
export function sandboxConfigYaml(
  ids: ReadonlyMap<string, string>,
  apiTokenHash: string,
  keyValueStores: readonly { alias: string; arn: string; description: string }[] = [],
): string {
  // `/cdn kv redirects list`: the store the website's CloudFront Function reads (simulation only).
  const stores = keyValueStores.length
    ? `keyValueStores:\n${keyValueStores.map((s) => `  ${s.alias}:\n    arn: ${s.arn}\n    description: ${s.description}\n`).join("")}`
    : "";
  const distributions = DEMO_DISTRIBUTIONS.filter((d) => ids.has(d.alias))
    .map(
      (d) =>
        `  ${d.alias}:\n    id: ${ids.get(d.alias) ?? d.id}\n    description: ${d.description}\n    channel: ${SANDBOX_API_CHANNEL}\n`,
    )
    .join("");
  return `# The sandbox's config: written by npm run sandbox, the same format as a real cdnbot.yml.
alerts:
  checkEvery: 15s
  cooldown: 2m
# A staged change (--staged) soaks for 3 minutes, read every 5 s: long enough to break it from the
# panel (5xx spike) and watch it pulled back, short enough to promote it in a demo.
staging:
  soak: 3m
  checkEvery: 5s
api:
  clients:
    ${SANDBOX_API_CLIENT}:
      tokenHash: ${apiTokenHash}
      distributions: ["*"]
      actions: [purge, change, environment]
# /cdn logs web 6h: each demo distribution logs to this bucket (simulated: a logging v2 delivery).
accessLogs:
  buckets: [${SANDBOX_LOG_BUCKET}]
# /cdn env create preview pr-1 origin=pr-1.example.com: a copy of the first demo distribution.
environments:
  templates:
    preview:
      from: ${DEMO_DISTRIBUTIONS[0]!.alias}
${stores}distributions:
${distributions}`;
}

/** The API client the sandbox makes for a newcomer to try, and where its requests are threaded. */
export const SANDBOX_API_CLIENT = "sandbox-pipeline";
const SANDBOX_API_CHANNEL = "C0DEPLOYS";

export type Sandbox = {
  url: string;
  /** The bot's HTTP API and a token for it (a new one each run), for `npx cdnbot` and MCP. */
  api: { url: string; token: string };
  aws: SandboxAws["kind"];
  workspace: SlackWorkspace;
  stop(): Promise<void>;
};

/**
 * The real bot (createCdnbot, over HTTP with signed requests) with CloudFront and CloudWatch
 * simulated at the gateway seam and Slack played by a local stand-in that serves the page.
 */
export async function startSandbox(args: SandboxArgs, logLevel: "warn" | "info" = "warn"): Promise<Sandbox> {
  const dir = args.data ?? (await mkdtemp(join(tmpdir(), "cdnbot-sandbox-")));
  await mkdir(dir, { recursive: true });
  // With --data the simulated CloudFront is kept too, so a restart finds what the bot left in flight.
  const aws = args.moto ? await motoAws() : simulatedAws(args.speed, args.data);
  try {
    return await startWith(aws, args, dir, logLevel);
  } catch (error) {
    await aws.stop();
    throw error;
  }
}

async function startWith(
  aws: SandboxAws,
  args: SandboxArgs,
  dir: string,
  logLevel: "warn" | "info",
): Promise<Sandbox> {
  const configFile = join(dir, "cdnbot.yml");
  const apiToken = mintToken();
  await writeFile(configFile, sandboxConfigYaml(aws.ids, hashToken(apiToken), aws.keyValueStores));
  const config = await loadConfig(configFile);

  const botPort = await freePort();
  const signingSecret = randomBytes(16).toString("hex");
  const botToken = "xoxb-sandbox";
  let base = "";
  const workspace = new SlackWorkspace(() => base);
  let standIn: SlackStandIn | undefined;
  standIn = await startSlackStandIn({
    workspace,
    botToken,
    port: args.port,
    onListening: (url) => {
      base = url;
    },
    routes: sandboxPageRoutes({
      workspace,
      botEventsUrl: () => `http://127.0.0.1:${botPort}/slack/events`,
      signingSecret,
      responseUrl: (user, channel) => standIn?.responseUrl(user, channel) ?? "",
      trouble: aws.trouble,
      distributions: [...aws.ids.keys()],
    }),
  }).catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code === "EADDRINUSE")
      throw new UserError(`Port ${args.port} is taken: try npm run sandbox -- --port 3301 (or --port 0).`);
    throw error;
  });

  const env = readEnv({
    SLACK_BOT_TOKEN: botToken,
    SLACK_SIGNING_SECRET: signingSecret,
    SLACK_API_URL: standIn.apiUrl,
    PORT: String(botPort),
    CDNBOT_DATA: join(dir, "state", "cdnbot.json"),
    CDNBOT_CONFIG: configFile,
    CDNBOT_LOG_LEVEL: logLevel,
  });
  const logger = createLogger(env.CDNBOT_LOG_LEVEL);
  const state = await StateStore.open(env.CDNBOT_DATA, { logger, retentionMs: config.retention.finished });
  const bot = createCdnbot({
    env,
    config,
    directory: new DistributionDirectory(config),
    store: lowdbBotStore(state),
    cloudfront: aws.cloudfront,
    cloudwatch: aws.cloudwatch,
    accessLogs: aws.accessLogs,
    logger,
  });
  await bot.start();
  const ready = standIn;
  return {
    url: ready.url,
    api: { url: `http://127.0.0.1:${botPort}`, token: apiToken },
    aws: aws.kind,
    workspace,
    async stop() {
      await bot.stop();
      await ready.close();
      await aws.stop();
    },
  };
}
