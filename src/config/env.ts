import { z } from "zod";
import { describeIssues } from "./load-config.js";

const DEFAULT_CONFIG_PATH = "cdnbot.yml";
const DEFAULT_DATA_PATH = "data/cdnbot.json";

const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

// The only place that reads process.env: everything else receives a typed Env.
export const envSchema = z.object({
  SLACK_BOT_TOKEN: z
    .string({ error: "is required: the bot token (xoxb-…) from your Slack app's OAuth page" })
    .min(1, "is required: the bot token (xoxb-…) from your Slack app's OAuth page")
    // Caught here rather than as Slack's later `not_allowed_token_type`; the message never echoes it.
    .refine((token) => token.startsWith("xoxb-"), {
      error: (issue) => `must be a bot token (xoxb-…), ${wrongTokenKind(String(issue.input))}`,
    }),
  // Required in HTTP mode only (checked below): in Socket Mode Slack delivers over our own connection.
  SLACK_SIGNING_SECRET: z.preprocess((v) => (v === "" ? undefined : v), z.string().optional()),
  /** An app-level token (xapp-…) with connections:write: when set, the bot runs in Socket Mode. */
  SLACK_APP_TOKEN: z.preprocess(
    (v) => (v === "" ? undefined : v),
    z
      .string()
      .regex(/^xapp-/, "must be an app-level token (xapp-…) from your Slack app's Basic Information page")
      .optional(),
  ),
  SLACK_API_URL: z
    .preprocess((v) => (v === "" ? undefined : v), z.url().optional())
    // WebClient appends the method name to this URL, so it must end with a slash.
    .transform((url) => (url && !url.endsWith("/") ? `${url}/` : url))
    .describe("Base URL of Slack's Web API; Slack's own when unset."),
  PORT: positiveInt(3000),
  CDNBOT_CONFIG: z.string().min(1).default(DEFAULT_CONFIG_PATH),
  CDNBOT_DATA: z.string().min(1).default(DEFAULT_DATA_PATH),
  // CloudFront takes minutes; polling faster only spends API quota.
  CDNBOT_POLL_MS: positiveInt(20_000),
  // One status call per distribution this often while work is in flight there: threads hear
  // "Completed" within seconds, and one call answers for all of a distribution's work.
  CDNBOT_STATUS_EVERY_MS: positiveInt(10_000),
  CDNBOT_LOG_LEVEL: z.enum(["debug", "info", "warn", "error"]).default("info"),
  // No call may hang the bot: past this, a call to AWS counts as failed and is retried with backoff.
  CDNBOT_AWS_TIMEOUT_MS: positiveInt(10_000),
  CDNBOT_SLACK_TIMEOUT_MS: positiveInt(10_000),
  // Slack's native tables and charts (data_table, data_visualization) where the workspace takes
  // them, the classic blocks where it refuses them (auto); or the classic blocks always (off).
  CDNBOT_NATIVE_BLOCKS: z.enum(["auto", "off"]).default("auto"),
  // The SDK's own variable for the KeyValueStore data plane's endpoint (tests, a local stand-in):
  // the bot uses it as given, where AWS's rules would put the store's account in front of the host.
  AWS_ENDPOINT_URL_CLOUDFRONT_KEYVALUESTORE: z.preprocess(
    (v) => (v === "" ? undefined : v),
    z.url({ message: "must be a URL such as http://127.0.0.1:4566" }).optional(),
  ),
  // The SDK's own variable for S3's endpoint: one of our own (an S3-compatible store, moto in the
  // tests) is addressed path-style, as those serve it; AWS's is addressed as AWS prefers.
  AWS_ENDPOINT_URL_S3: z.preprocess(
    (v) => (v === "" ? undefined : v),
    z.url({ message: "must be a URL such as http://127.0.0.1:4566" }).optional(),
  ),
  // How often /readyz's view of Slack and AWS is refreshed (auth.test, one GetDistribution).
  CDNBOT_HEALTH_CHECK_MS: positiveInt(60_000),
  // The key callbacks are signed with (HMAC-SHA256); shared with their receivers, like Slack's.
  CDNBOT_CALLBACK_SECRET: z.preprocess(
    (v) => (v === "" ? undefined : v),
    z.string().min(32, "must be at least 32 characters (e.g. `openssl rand -hex 32`)").optional(),
  ),
});

export type Env = z.infer<typeof envSchema>;

/** What a token that is not a bot token is instead, by its documented prefix, and where it belongs. */
function wrongTokenKind(token: string): string {
  if (token.startsWith("xapp-"))
    return "and this is an app-level token: it belongs in SLACK_APP_TOKEN; the bot token is on the OAuth & Permissions page";
  if (token.startsWith("xoxp-"))
    return "and this is a user token: the bot acts as itself, with the Bot User OAuth Token from the OAuth & Permissions page";
  return "the Bot User OAuth Token from your Slack app's OAuth & Permissions page";
}

export class EnvError extends Error {
  override readonly name = "EnvError";
}

/** The signing secret is required only where Slack signs requests: in HTTP mode. */
function modeProblems(source: NodeJS.ProcessEnv): string[] {
  return source.SLACK_APP_TOKEN || source.SLACK_SIGNING_SECRET
    ? []
    : [
        "SLACK_SIGNING_SECRET: is required in HTTP mode: the signing secret from your Slack app's Basic Information page (or set SLACK_APP_TOKEN for Socket Mode)",
      ];
}

export function readEnv(source: NodeJS.ProcessEnv = process.env): Env {
  const result = envSchema.safeParse(source);
  // Every problem at once, the mode's included, so a person fixes them in one go.
  const problems = [...(result.success ? [] : describeIssues(result.error.issues)), ...modeProblems(source)];
  if (!result.success || problems.length > 0) {
    throw new EnvError(`Invalid environment:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  }
  return result.data;
}

/** What the CLI verbs need: only the state file, never Slack's secrets. */
export function readDataPath(source: NodeJS.ProcessEnv = process.env): string {
  return source.CDNBOT_DATA || DEFAULT_DATA_PATH;
}

/** Where the config is, for the CLI verbs that look aliases up in it. */
export function readConfigPath(source: NodeJS.ProcessEnv = process.env): string {
  return source.CDNBOT_CONFIG || DEFAULT_CONFIG_PATH;
}
