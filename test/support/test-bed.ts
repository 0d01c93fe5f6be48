import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { CloudFrontClient } from "@aws-sdk/client-cloudfront";
import { fromTemporaryCredentials } from "@aws-sdk/credential-providers";
import { type BotProcess, startBot, workDir } from "./bot-process.js";
import { type FakeSlack, startFakeSlack } from "./fake-slack.js";
import { type FakeSocketMode, startFakeSocketMode } from "./fake-socket-mode.js";
import { createTestDistribution, type MotoServer, startMoto, testAwsEnv } from "./moto.js";
import { type SerialProxy, startSerialProxy } from "./serial-proxy.js";
import {
  blockActionPayload,
  DEFAULT_CHANNEL,
  type PostResult,
  postInteraction,
  postSlashCommand,
} from "./slack-signer.js";
import { type StrictCloudFront, type StrictOptions, startStrictCloudFront } from "./strict-cloudfront.js";

export const SIGNING_SECRET = "test-signing-secret";
export const BOT_TOKEN = "xoxb-test-token";

export type CommandResult = Awaited<ReturnType<typeof postSlashCommand>> & {
  responseUrl: string;
  /** Resolves once the bot has finished the command (its "Command done" log line). */
  done(): Promise<void>;
  /**
   * What the requester alone was told, wherever it came: in the ack itself (a refusal that needed
   * nothing but the config, before anything was stored) or in the reply to the response_url.
   */
  reply(): Promise<string>;
};

export type TestDistribution = { alias: string; id: string; domainName: string };

export type TestBed = {
  fake: FakeSlack;
  /** The Socket Mode stand-in, when the bed runs the bot in Socket Mode. */
  socket?: FakeSocketMode;
  moto: MotoServer;
  strict: StrictCloudFront;
  /** moto's DynamoDB, one call at a time (`serial-proxy.ts`): what the bot's DynamoDB endpoint is. */
  dynamodbUrl: string;
  /** That layer itself: `holdWrites` makes the store slow. */
  dynamodb: SerialProxy;
  cloudfront: CloudFrontClient;
  bot: BotProcess;
  web: TestDistribution;
  /** Further distributions created for this bed, by alias. */
  others: Record<string, TestDistribution>;
  /** Sends a correctly signed `/cdn …` as Slack would, with a response_url on the fake. */
  command(text: string, as?: { userId?: string; channelId?: string }): Promise<CommandResult>;
  /** Clicks a button as Slack would deliver it; the click's response_url is on the fake. */
  click(
    actionId: string,
    value: string,
    as: { userId: string; teamId?: string; channelId?: string; messageTs?: string },
  ): Promise<PostResult & { responseUrl: string }>;
  /** Restarts the bot on the same state file; `appendConfig` adds YAML to its config from now on. */
  restartBot(how: "kill" | "stop", options?: { appendConfig?: string }): Promise<BotProcess>;
  /** Another bot process on the same config, AWS and Slack (a replica, when the store is shared). */
  startReplica(options?: { env?: Record<string, string> }): Promise<BotProcess>;
  /**
   * Resolves once the bot's scheduled job (`purge.send`, `purge.poll`, `approvals`, `changes`,
   * `alerts`, `history`) has finished `count` more runs: the observable proof that it looked, which a test
   * waits on before asserting that nothing more happened.
   */
  jobRuns(job: string, count: number): Promise<void>;
  close(): Promise<void>;
};

export type TestBedOptions = {
  strict?: StrictOptions;
  /** Extra YAML appended to the config, after the `distributions:` block with `web`. */
  extraConfig?: (web: TestDistribution, others: Record<string, TestDistribution>) => string;
  /** Aliases of further distributions to create in moto (each gets its own id). */
  otherDistributions?: string[];
  /** Further distributions created in other AWS accounts, by alias: each through the role given. */
  distributionsInOtherAccounts?: Record<string, string>;
  env?: Record<string, string>;
  /** Run the bot in Socket Mode against a local WebSocket stand-in for Slack (no signing secret). */
  socketMode?: boolean;
  /** Run the compiled build (built beforehand with `npm run build`) instead of the sources. */
  compiled?: boolean;
};

/** A CloudFront client acting in the account of `roleArn`, through moto's STS. */
export function clientInAccountOf(roleArn: string, cloudfrontUrl: string, stsUrl: string): CloudFrontClient {
  return new CloudFrontClient({
    region: "us-east-1",
    endpoint: cloudfrontUrl,
    credentials: fromTemporaryCredentials({
      params: { RoleArn: roleArn, RoleSessionName: "test-bed" },
      masterCredentials: { accessKeyId: "testing", secretAccessKey: "testing" },
      clientConfig: { endpoint: stsUrl, region: "us-east-1" },
    }),
  });
}

export async function startTestBed(options: TestBedOptions = {}): Promise<TestBed> {
  const [fake, moto] = await Promise.all([startFakeSlack(), startMoto()]);
  const strict = await startStrictCloudFront(moto.url, options.strict);
  // DynamoDB through a layer that makes moto's conditional writes atomic, as DynamoDB's are.
  const dynamodb = await startSerialProxy(moto.url);
  const cloudfront = new CloudFrontClient({
    region: "us-east-1",
    endpoint: strict.url,
    credentials: { accessKeyId: "testing", secretAccessKey: "testing" },
  });
  const created = await createTestDistribution(cloudfront, { aliases: ["www.example.com"] });
  const web = { alias: "web", id: created.id, domainName: created.domainName };
  const others: Record<string, TestDistribution> = {};
  for (const alias of options.otherDistributions ?? []) {
    const d = await createTestDistribution(cloudfront, { comment: alias });
    others[alias] = { alias, id: d.id, domainName: d.domainName };
  }
  for (const [alias, roleArn] of Object.entries(options.distributionsInOtherAccounts ?? {})) {
    // moto keeps one CloudFront per account, and STS's credentials for a role act in the role's.
    const d = await createTestDistribution(clientInAccountOf(roleArn, strict.url, moto.url), {
      comment: alias,
    });
    others[alias] = { alias, id: d.id, domainName: d.domainName };
  }
  // Tests make many changes to one distribution in a minute; CloudFront's pace (2 a minute) is
  // tested on its own (test/unit/change-write.test.ts).
  const extra = options.extraConfig?.(web, others) ?? "";
  let config = `distributions:\n  web:\n    id: ${web.id}\n    description: Public website\n${extra}${extra && !extra.endsWith("\n") ? "\n" : ""}changes:\n  updatesPerMinute: 600\n`;
  const home = await workDir();
  const socket = options.socketMode ? await startFakeSocketMode() : undefined;
  if (socket) fake.setSocketModeUrl(socket.url);
  const env = {
    ...testAwsEnv(strict.url),
    AWS_ENDPOINT_URL_STS: moto.url,
    // Access logs: the buckets and the logging v2 deliveries are moto's own.
    AWS_ENDPOINT_URL_S3: moto.url,
    AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: moto.url,
    AWS_ENDPOINT_URL_DYNAMODB: dynamodb.url,
    HOME: home,
    AWS_EC2_METADATA_DISABLED: "true",
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: fake.apiUrl,
    ...(socket ? { SLACK_APP_TOKEN: "xapp-1-AFAKE-1-test", SLACK_SIGNING_SECRET: "" } : {}),
    ...options.env,
  };
  const compiled = options.compiled ? { compiled: true } : {};
  let bot = await startBot({ env, config, ...compiled });
  const logEntries = (message: string) =>
    bot
      .output()
      .split("\n")
      .filter((line) => line.includes(`"${message}"`))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  const commandsDoneIn = (channelId: string) =>
    logEntries("Command done").filter((e) => e.channelId === channelId).length;
  const replicas: BotProcess[] = [];
  const bed: TestBed = {
    ...(socket ? { socket } : {}),
    fake,
    moto,
    strict,
    dynamodbUrl: dynamodb.url,
    dynamodb,
    cloudfront,
    get bot() {
      return bot;
    },
    web,
    others,
    async command(text, as = {}) {
      const responseUrl = fake.responseUrl();
      const channelId = as.channelId ?? DEFAULT_CHANNEL;
      const before = commandsDoneIn(channelId);
      const res = await postSlashCommand(bot.url, SIGNING_SECRET, { text, responseUrl, ...as });
      const done = async () => {
        await fake.waitFor(() => commandsDoneIn(channelId) > before || undefined, {
          description: `the bot to finish ${JSON.stringify(text)}`,
        });
      };
      const reply = async () => {
        const inAck = res.json as { response_type?: string; text?: string } | undefined;
        if (inAck?.text) {
          if (inAck.response_type !== "ephemeral") throw new Error(`the ack was not ephemeral: ${res.body}`);
          return inAck.text;
        }
        const { body } = await fake.waitForReply(responseUrl);
        if (body.response_type !== "ephemeral")
          throw new Error(`the reply was not ephemeral: ${JSON.stringify(body)}`);
        return String(body.text);
      };
      return { ...res, responseUrl, done, reply };
    },
    async click(actionId, value, as) {
      const responseUrl = fake.responseUrl();
      const payload = blockActionPayload({
        actionId,
        value,
        userId: as.userId,
        messageTs: as.messageTs ?? "1700000000.000100",
        responseUrl,
        ...(as.teamId ? { teamId: as.teamId } : {}),
        ...(as.channelId ? { channelId: as.channelId } : {}),
      });
      const res = await postInteraction(bot.url, SIGNING_SECRET, payload);
      return { ...res, responseUrl };
    },
    async jobRuns(job, count) {
      const runs = () => {
        let last = 0;
        for (const line of bot.output().split("\n")) {
          if (!line.includes('"Scheduled job done"')) continue;
          const entry = JSON.parse(line) as { job?: string; runs?: number };
          if (entry.job === job) last = entry.runs ?? last;
        }
        return last;
      };
      const target = runs() + count;
      await fake.waitFor(() => runs() >= target || undefined, { description: `${count} runs of ${job}` });
    },
    async startReplica(options = {}) {
      const replica = await startBot({ env: { ...env, ...options.env }, config, ...compiled });
      replicas.push(replica);
      return replica;
    },
    async restartBot(how, restart = {}) {
      await (how === "kill" ? bot.kill() : bot.stop());
      config += restart.appendConfig ?? "";
      bot = await startBot({ env, config, dataFile: bot.dataFile, ...compiled });
      return bot;
    },
    async close() {
      await Promise.all([bot.stop(), ...replicas.map((r) => r.stop())]);
      cloudfront.destroy();
      await Promise.all([fake.close(), strict.close(), dynamodb.close(), socket?.close()]);
      await moto.stop();
    },
  } as TestBed;
  return bed;
}

/**
 * Runs a `cdnbot` command-line verb (`doctor`, `migrate`…) as a process against the bed's fakes, on
 * this config and the bot's state file; async, so the fakes in this process can answer it.
 */
export function runCliProcess(
  bed: TestBed,
  args: string[],
  config: string,
  env: Record<string, string> = {},
): Promise<{ status: number; stdout: string; stderr: string }> {
  const file = bed.bot.configFile.replace(/cdnbot\.yml$/, `${args[0]}.yml`);
  writeFileSync(file, config);
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["--import", "tsx", "src/main.ts", ...args],
      {
        env: {
          PATH: process.env.PATH ?? "",
          ...testAwsEnv(bed.strict.url),
          AWS_ENDPOINT_URL_STS: bed.moto.url,
          AWS_ENDPOINT_URL_DYNAMODB: bed.dynamodbUrl,
          AWS_ENDPOINT_URL_WAFV2: bed.moto.url,
          AWS_ENDPOINT_URL_S3: bed.moto.url,
          AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: bed.moto.url,
          AWS_EC2_METADATA_DISABLED: "true",
          SLACK_BOT_TOKEN: BOT_TOKEN,
          SLACK_SIGNING_SECRET: SIGNING_SECRET,
          SLACK_API_URL: bed.fake.apiUrl,
          CDNBOT_CONFIG: file,
          CDNBOT_DATA: bed.bot.dataFile,
          ...env,
        },
        encoding: "utf8",
        timeout: 60_000,
      },
      (error, stdout, stderr) => resolve({ status: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** Runs `npm run doctor` on this config as a process against the bed's fakes. */
export async function runDoctorProcess(
  bed: TestBed,
  config: string,
  env: Record<string, string> = {},
): Promise<{ status: number; stdout: string }> {
  return runCliProcess(bed, ["doctor"], config, env);
}
