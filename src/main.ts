import { existsSync } from "node:fs";
import { createCdnbot } from "./app.js";
import { parseAuditArgs, resolveAuditDistribution, writeAuditExport } from "./audit/audit-export.js";
import type { AccessLogGateway } from "./aws/access-log-calls.js";
import type { AwsGateways } from "./aws/aws-gateways.js";
import type { CloudFrontGateway } from "./aws/cloudfront-gateway.js";
import type { CloudWatchGateway } from "./aws/cloudwatch-gateway.js";
import {
  formatIamPolicy,
  IAM_POLICY_USAGE,
  type IamPolicyArgs,
  parseIamPolicyArgs,
} from "./aws/iam-policy-cli.js";
import { loadOnFirstCall } from "./aws/load-on-first-call.js";
import type { CdnbotConfig } from "./config/config-schema.js";
import { type Env, EnvError, readConfigPath, readDataPath } from "./config/env.js";
import { ConfigError, loadConfig } from "./config/load-config.js";
import { DistributionDirectory } from "./directory/distribution-directory.js";
import { formatDoctorReport, runDoctor } from "./doctor/doctor.js";
import { checkSettings, requireSettings, SettingsError } from "./doctor/settings-check.js";
import { StartupError, UserError } from "./errors.js";
import { createLogger, type Logger, redact } from "./logger.js";
import { REQUIRED_BOT_SCOPES } from "./slack/slack-scopes.js";
import { type BotStore, lowdbBotStore } from "./store/bot-store.js";
import { formatTransferReport, parseMigrateArgs } from "./store/migrate-cli.js";
import { StateStore, StoreError } from "./store/state-store.js";
import { transferStore } from "./store/store-transfer.js";

/** The longest a stop may take after SIGTERM before the process leaves anyway. */
const SHUTDOWN_DEADLINE_MS = 8_000;

async function main(): Promise<void> {
  // The same checks the doctor starts with: every problem of the config and the environment at once.
  const { env, config } = await requireSettings(process.env);
  const logger = createLogger(env.CDNBOT_LOG_LEVEL);
  const store = await openStore(config, env, logger);
  const directory = new DistributionDirectory(config);
  let gateways: Promise<AwsGateways> | undefined;
  const aws = () => {
    gateways ??= import("./aws/aws-gateways.js").then(({ createAwsGateways }) =>
      createAwsGateways(
        { requestMs: env.CDNBOT_AWS_TIMEOUT_MS },
        directory,
        env.AWS_ENDPOINT_URL_CLOUDFRONT_KEYVALUESTORE,
        env.AWS_ENDPOINT_URL_S3 !== undefined,
      ),
    );
    return gateways;
  };
  const bot = createCdnbot({
    env,
    config,
    directory,
    store,
    // The AWS SDK loads with the first call (right after start-up, when the distributions are checked).
    cloudfront: loadOnFirstCall<CloudFrontGateway>(async () => (await aws()).cloudfront),
    cloudwatch: loadOnFirstCall<CloudWatchGateway>(async () => (await aws()).cloudwatch),
    accessLogs: loadOnFirstCall<AccessLogGateway>(async () => (await aws()).accessLogs),
    logger,
  });
  await bot.start();
  logger.info("cdnbot is listening", {
    ...(env.SLACK_APP_TOKEN
      ? { mode: "socket", healthPort: env.PORT }
      : { mode: "http", port: env.PORT, endpoint: "/slack/events" }),
    distributions: Object.keys(config.distributions),
  });
  const shutdown = (signal: string) => {
    logger.info("Shutting down", { signal });
    // Whatever AWS or Slack do, the process is gone within 10 s of SIGTERM (orchestrators kill at
    // about that). Leaving early loses nothing: every acknowledged request is in the store already.
    const deadline = setTimeout(() => {
      logger.warn("Stopped with calls still in flight; their work resumes at the next start");
      process.exit(0);
    }, SHUTDOWN_DEADLINE_MS);
    deadline.unref();
    bot.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error("Stop failed", { error });
        process.exit(1);
      },
    );
  };
  process.on("unhandledRejection", (error) => {
    logger.error("Unhandled failure (the bot keeps running)", { error });
  });
  process.once("SIGTERM", () => shutdown("SIGTERM"));
  process.once("SIGINT", () => shutdown("SIGINT"));
}

/**
 * The store the config names: DynamoDB (loaded only then, with its table checked or made), or the
 * embedded lowdb state file.
 */
async function openStore(config: CdnbotConfig, env: Env, logger: Logger): Promise<BotStore> {
  const table = config.store?.dynamodb?.table;
  if (!table)
    return lowdbBotStore(
      await StateStore.open(env.CDNBOT_DATA, { logger, retentionMs: config.retention.finished }),
    );
  const { openDynamoDbStore } = await import("./aws/dynamodb-bot-store.js");
  return openDynamoDbStore({
    table,
    timeouts: { requestMs: env.CDNBOT_AWS_TIMEOUT_MS },
    retentionMs: config.retention.finished,
    logger,
  });
}

/** `cdnbot audit …`: exports the audit log from the state file, read-only. */
async function exportAudit(argv: string[]): Promise<void> {
  const args = parseAuditArgs(argv);
  // The config says where the log is and what the aliases mean; the export of a lowdb state works
  // without one when given an id.
  const config = await loadConfig(readConfigPath()).catch((error: unknown) => {
    if (error instanceof ConfigError) return error;
    throw error;
  });
  if (args.distribution) {
    args.distribution =
      config instanceof ConfigError
        ? resolveAuditDistribution(args.distribution, undefined, config.message)
        : resolveAuditDistribution(args.distribution, config);
  }
  const table = config instanceof ConfigError ? undefined : config.store?.dynamodb?.table;
  const log = table
    ? (await import("./aws/dynamodb-record-store.js")).dynamoDbRecordStore({
        table,
        timeouts: { requestMs: 10_000 },
      }).audit
    : await StateStore.readAudit(readDataPath());
  await writeAuditExport(log, args, (text) => process.stdout.write(text));
}

/** `cdnbot create-table`: makes the DynamoDB table the config names (once, by someone allowed to). */
async function createTable(): Promise<void> {
  const config = await loadConfig(readConfigPath());
  const table = config.store?.dynamodb?.table;
  if (!table)
    throw new UserError(
      "The config names no DynamoDB table (store.dynamodb.table): the bot keeps its state in a file.",
    );
  const { createDynamoDbClient, ensureRecordTable } = await import("./aws/dynamodb-record-store.js");
  const outcome = await ensureRecordTable(createDynamoDbClient({ requestMs: 10_000 }), table).catch(
    async (error: unknown) => {
      const { describeAwsError } = await import("./aws/aws-errors.js");
      throw new UserError(
        `Could not create the DynamoDB table ${table}: ${describeAwsError(error).explanation}`,
      );
    },
  );
  process.stdout.write(
    outcome === "created"
      ? `Created the DynamoDB table ${table} (on-demand capacity, TTL on \`expires\`).\n`
      : `The DynamoDB table ${table} already exists: nothing to do.\n`,
  );
}

/**
 * `cdnbot migrate --to dynamodb`: copies the state file (live records, finished ones still retained,
 * the audit log, the month's billed paths) into the table the config names. Run with the bot stopped.
 */
async function migrate(argv: string[]): Promise<void> {
  try {
    parseMigrateArgs(argv);
  } catch (error) {
    throw new UserError((error as Error).message);
  }
  const config = await loadConfig(readConfigPath());
  const table = config.store?.dynamodb?.table;
  if (!table)
    throw new UserError(
      "Name the table first: add `store: { dynamodb: { table: <name> } }` to the config, then run this again. The bot uses that table once started with that config.",
    );
  const file = readDataPath();
  if (!existsSync(file))
    throw new UserError(`There is no state file at ${file} (CDNBOT_DATA): nothing to migrate.`);
  const state = await StateStore.open(file, { retentionMs: config.retention.finished });
  const audit = await StateStore.readAudit(file);
  const { createDynamoDbClient, ensureRecordTable } = await import("./aws/dynamodb-record-store.js");
  const { dynamoDbImportTarget } = await import("./aws/dynamodb-import.js");
  const client = createDynamoDbClient({ requestMs: 10_000 });
  const report = await (async () => {
    await ensureRecordTable(client, table);
    return transferStore(
      { data: state.data, archived: state.archivedRecords(Date.now()), audit: audit.entries({}) },
      dynamoDbImportTarget(client, table, config.retention.finished),
    );
  })().catch(async (error: unknown) => {
    const { describeAwsError } = await import("./aws/aws-errors.js");
    throw new UserError(
      `Could not copy the state into the DynamoDB table ${table}: ${describeAwsError(error).explanation} Nothing was removed; running this again carries on where it stopped.`,
    );
  });
  process.stdout.write(formatTransferReport(report, file, table));
  if (report.different.length > 0) process.exitCode = 1;
}

/**
 * `cdnbot api-token <name> [--agent]`: a new token for an API client, shown once, and the config lines
 * with its hash (the bot never stores the token itself).
 */
async function apiToken(argv: string[]): Promise<void> {
  const { mintToken, hashToken } = await import("./api/api-clients.js");
  const name = argv.find((a) => !a.startsWith("--"));
  const unknown = argv.find((a) => a.startsWith("--") && a !== "--agent");
  if (!name || unknown || !/^[a-z0-9][a-z0-9_-]{0,39}$/.test(name))
    throw new UserError(
      `${unknown ? `Unknown option ${unknown.slice(0, 40)}. ` : ""}Usage: npm run api-token -- <client-name> [--agent]  (a name of 1–40 lower-case letters, digits, - or _)`,
    );
  const token = mintToken();
  process.stdout.write(
    [
      `Token for ${name} (shown once: cdnbot keeps only its hash):`,
      "",
      `  ${token}`,
      "",
      "Add the client to the config (or, to rotate its token, replace its tokenHash) and restart the bot:",
      "",
      "api:",
      "  clients:",
      `    ${name}:`,
      `      kind: ${argv.includes("--agent") ? "agent" : "pipeline"}`,
      `      tokenHash: ${hashToken(token)}`,
      '      distributions: [web]   # the aliases it may use, or "*"',
      "      actions: [purge]       # what it may ask for: purge, change; leave out for read-only",
      "",
    ].join("\n"),
  );
}

/** `cdnbot iam-policy …`: prints the least-privilege policy for the configured distributions. */
async function printIamPolicy(argv: string[]): Promise<void> {
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(`${IAM_POLICY_USAGE}\n`);
    return;
  }
  let args: IamPolicyArgs;
  try {
    args = parseIamPolicyArgs(argv);
  } catch (error) {
    throw new UserError((error as Error).message);
  }
  const config = await loadConfig(readConfigPath());
  let policy: string;
  try {
    policy = formatIamPolicy(args, Object.values(config.distributions), {
      dynamoDbTable: config.store?.dynamodb?.table,
      logBuckets: config.accessLogs?.buckets,
      logGroups: config.accessLogs?.logGroups,
      webAcls: config.waf?.webAcls,
      keyValueStores: Object.values(config.keyValueStores ?? {}).map((s) => s.arn),
      environmentSources: Object.values(config.environments?.templates ?? {}).flatMap((t) => {
        const id = config.distributions[t.from]?.id;
        return id ? [id] : [];
      }),
    });
  } catch (error) {
    throw new UserError((error as Error).message);
  }
  process.stdout.write(policy);
}

/** `cdnbot doctor`: checks config, Slack and AWS by reading only; exits 1 when something needs fixing. */
async function doctor(): Promise<void> {
  // Start's own checks first; what they find broken is reported, and the rest checked around it.
  const settings = await checkSettings(process.env);
  const { env, config } = settings;
  const timeouts = { requestMs: env?.CDNBOT_AWS_TIMEOUT_MS ?? 10_000 };
  const { createAwsGateways } = await import("./aws/aws-gateways.js");
  // Distributions in other accounts are read through their roles; without a config, AWS is checked
  // with the bot's own credentials alone.
  const aws = await createAwsGateways(
    timeouts,
    config ? new DistributionDirectory(config) : undefined,
    env?.AWS_ENDPOINT_URL_CLOUDFRONT_KEYVALUESTORE,
    env?.AWS_ENDPOINT_URL_S3 !== undefined,
  );
  const { createIdentityGateway } = await import("./aws/sts-gateway.js");
  const { createWebAclGateway } = await import("./aws/waf-gateway.js");
  const { createDynamoDbClient } = await import("./aws/dynamodb-record-store.js");
  const { createTableProbe } = await import("./aws/dynamodb-table-probe.js");
  const { WebClient } = await import("@slack/web-api");
  const slackApiUrl = env?.SLACK_API_URL ?? "https://slack.com/api/";
  const rows = await runDoctor({
    settings,
    ...(env && {
      slack: async () => {
        const client = new WebClient(env.SLACK_BOT_TOKEN, {
          timeout: env.CDNBOT_SLACK_TIMEOUT_MS,
          retryConfig: { retries: 1 },
          slackApiUrl,
        });
        const out = await client.auth.test();
        return { team: out.team ?? "?", user: out.user ?? "?", scopes: out.response_metadata?.scopes ?? [] };
      },
    }),
    slackApiUrl,
    requiredScopes: REQUIRED_BOT_SCOPES,
    identity: createIdentityGateway(timeouts),
    cloudfront: aws.cloudfront,
    cloudwatch: aws.cloudwatch,
    webAcls: createWebAclGateway(timeouts),
    accessLogs: aws.accessLogs,
    stateTable: (table) => createTableProbe(createDynamoDbClient(timeouts), table),
    clock: Date.now,
  });
  process.stdout.write(formatDoctorReport(rows));
  if (rows.some((r) => !r.ok)) process.exitCode = 1;
}

const VERBS: Record<string, (argv: string[]) => Promise<void>> = {
  audit: exportAudit,
  "iam-policy": printIamPolicy,
  "create-table": createTable,
  migrate,
  "api-token": apiToken,
  doctor,
};
/** The oldest Node.js cdnbot runs on (package.json's engines; .nvmrc names it for nvm). */
const OLDEST_NODE = 22;

/** One clear sentence on an old Node, rather than whatever breaks first. */
function checkNodeVersion(): Promise<void> {
  const major = Number(process.versions.node.split(".")[0]);
  if (major >= OLDEST_NODE) return Promise.resolve();
  return Promise.reject(
    new StartupError(
      `it needs Node.js ${OLDEST_NODE} or newer, and this is Node.js ${process.versions.node}. With nvm: \`nvm install && nvm use\` in the checkout (it reads .nvmrc); or run it as \`npx -y -p node@${OLDEST_NODE} -c "npm start"\`.`,
    ),
  );
}

const verb = process.argv[2];
const cli = verb ? VERBS[verb] : undefined;
const run = checkNodeVersion().then(() => (cli ? cli(process.argv.slice(3)) : main()));

run.catch((error: unknown) => {
  // Configuration problems are for a person to fix: say what and where, without a stack trace.
  if (error instanceof UserError) {
    process.stderr.write(`${error.message}\n`);
  } else if (
    error instanceof ConfigError ||
    error instanceof EnvError ||
    error instanceof StoreError ||
    error instanceof SettingsError
  ) {
    process.stderr.write(`cdnbot cannot start.\n${error.message}\n`);
  } else if (error instanceof StartupError) {
    process.stderr.write(`cdnbot cannot start: ${error.message}\n`);
  } else {
    // Not a problem a person can fix by configuration: one line, and the stack only when debugging.
    const debug = process.env.CDNBOT_LOG_LEVEL === "debug";
    const detail =
      error instanceof Error ? (debug ? (error.stack ?? error.message) : error.message) : String(error);
    process.stderr.write(`cdnbot cannot start: ${redact(detail)}\n`);
  }
  process.exit(1);
});
