import { randomBytes } from "node:crypto";
import { mkdtemp, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createCdnbot } from "../app.js";
import { readEnv } from "../config/env.js";
import { loadConfig } from "../config/load-config.js";
import { UserError } from "../errors.js";
import { createLogger } from "../logger.js";
import { StateStore } from "../store/state-store.js";
import { DEMO_DISTRIBUTIONS } from "./demo-distributions.js";
import { sandboxPageRoutes, type Trouble } from "./sandbox-page.js";
import { DEFAULT_TIMING, SimulatedCloudFront } from "./simulated-cloudfront.js";
import { SimulatedCloudWatch } from "./simulated-cloudwatch.js";
import { type SlackStandIn, startSlackStandIn } from "./slack-standin.js";
import { SlackWorkspace } from "./slack-workspace.js";

export const SANDBOX_USAGE = `npm run sandbox [-- --port 3300] [--speed 1] [--data <dir>]

  --port   where the page is served (default 3300; 0 picks a free port)
  --speed  how much faster than CloudFront the simulation runs (default 1: invalidations take
           20–40 s, deploys 1–2 minutes; 10 makes them ten times quicker)
  --data   keep the bot's state in this directory (default: a new temporary one)`;

export type SandboxArgs = { port: number; speed: number; data?: string };

/** The arguments of `npm run sandbox`; a problem is thrown as one sentence with the usage. */
export function parseSandboxArgs(argv: string[]): SandboxArgs {
  const args: SandboxArgs = { port: 3300, speed: 1 };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (flag === "--help" || flag === "-h") throw new UserError(SANDBOX_USAGE);
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

/** The sandbox's config: the demo distributions, alerts checked often enough to see in a demo. */
export function sandboxConfigYaml(): string {
  const distributions = DEMO_DISTRIBUTIONS.map(
    (d) => `  ${d.alias}:\n    id: ${d.id}\n    description: ${d.description}\n`,
  ).join("");
  return `# The sandbox's config: written by npm run sandbox, the same format as a real cdnbot.yml.
alerts:
  checkEvery: 15s
  cooldown: 2m
distributions:
${distributions}`;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (typeof address !== "object" || address === null) throw new Error("no free port");
  return address.port;
}

export type Sandbox = {
  url: string;
  cloudfront: SimulatedCloudFront;
  cloudwatch: SimulatedCloudWatch;
  workspace: SlackWorkspace;
  stop(): Promise<void>;
};

/**
 * The real bot (createCdnbot, over HTTP with signed requests) with CloudFront and CloudWatch
 * simulated at the gateway seam and Slack played by a local stand-in that serves the page.
 */
export async function startSandbox(args: SandboxArgs, logLevel: "warn" | "info" = "warn"): Promise<Sandbox> {
  const dir = args.data ?? (await mkdtemp(join(tmpdir(), "cdnbot-sandbox-")));
  const configFile = join(dir, "cdnbot.yml");
  await writeFile(configFile, sandboxConfigYaml());
  const config = await loadConfig(configFile);
  const idOf = (alias: string) => config.distributions[alias]?.id ?? "";

  const cloudfront = new SimulatedCloudFront(
    DEMO_DISTRIBUTIONS.map((d) => ({ id: d.id, config: d.config })),
    Date.now,
    { ...DEFAULT_TIMING, speed: args.speed },
  );
  const cloudwatch = new SimulatedCloudWatch(
    new Map(DEMO_DISTRIBUTIONS.map((d) => [d.id, d.peakRequestsPerMinute])),
  );
  const spikes = new Map<string, number>();
  const trouble: Trouble = (kind, alias) => {
    const id = idOf(alias);
    const now = Date.now();
    switch (kind) {
      case "spike":
        if (!id) return `There is no distribution ${alias}.`;
        // Already minutes old when the bot next reads CloudWatch (whose datapoints come a minute
        // late): enough of them to alert on at once, rather than after a real-time wait.
        spikes.set(id, now - 8 * 60_000);
        cloudwatch.spike(id, { metric: "5xxErrorRate", value: 12, from: now - 8 * 60_000 });
        return `${alias} has been answering 12% 5xx errors for 8 minutes.`;
      case "recover": {
        if (!id) return `There is no distribution ${alias}.`;
        const since = spikes.get(id);
        if (since === undefined) return `${alias} has no errors to recover from.`;
        spikes.delete(id);
        // Likewise backdated, so the next read sees enough calm datapoints to call it recovered.
        cloudwatch.recover(id, Math.max(since + 2 * 60_000, now - 5 * 60_000));
        return `${alias}'s errors stopped a few minutes ago.`;
      }
      case "edit":
        if (!id) return `There is no distribution ${alias}.`;
        cloudfront.editElsewhere(id, (c) => {
          c.Comment = `${c.Comment ?? ""} (edited in the console)`.trim();
        });
        return `Someone edited ${alias} in the console: it has a new ETag and is deploying.`;
      case "slow":
        cloudfront.trouble.latencyMs = 4_000;
        return "CloudFront now takes 4 s to answer each call.";
      case "throttle":
        cloudfront.trouble.throttling = true;
        return "CloudFront now refuses every call with Throttling.";
      case "calm":
        cloudfront.trouble.latencyMs = 0;
        cloudfront.trouble.throttling = false;
        return "CloudFront answers normally again.";
      default:
        return `I don't know the trouble ${kind}.`;
    }
  };

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
      trouble,
      distributions: DEMO_DISTRIBUTIONS.map((d) => d.alias),
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
  const store = await StateStore.open(env.CDNBOT_DATA, { logger, retentionMs: config.retention.finished });
  const bot = createCdnbot({ env, config, store, cloudfront, cloudwatch, logger });
  await bot.start();
  const ready = standIn;
  return {
    url: ready.url,
    cloudfront,
    cloudwatch,
    workspace,
    async stop() {
      await bot.stop();
      await ready.close();
    },
  };
}
