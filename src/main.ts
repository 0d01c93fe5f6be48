import { createCdnbot } from "./app.js";
import { createCloudFrontGateway } from "./aws/cloudfront-gateway.js";
import { EnvError, readEnv } from "./config/env.js";
import { ConfigError, loadConfig } from "./config/load-config.js";
import { createLogger } from "./logger.js";
import { StateStore, StoreError } from "./store/state-store.js";

async function main(): Promise<void> {
  const env = readEnv();
  const logger = createLogger(env.CDNBOT_LOG_LEVEL);
  const config = await loadConfig(env.CDNBOT_CONFIG);
  const store = await StateStore.open(env.CDNBOT_DATA);
  const bot = createCdnbot({ env, config, store, cloudfront: createCloudFrontGateway(), logger });
  await bot.start();
  logger.info("cdnbot is listening", {
    port: env.PORT,
    endpoint: "/slack/events",
    distributions: Object.keys(config.distributions),
  });
  const shutdown = (signal: string) => {
    logger.info("Shutting down", { signal });
    bot.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once("SIGTERM", () => shutdown("SIGTERM"));
  process.once("SIGINT", () => shutdown("SIGINT"));
}

main().catch((error: unknown) => {
  // Configuration problems are for a person to fix: say what and where, without a stack trace.
  if (error instanceof ConfigError || error instanceof EnvError || error instanceof StoreError) {
    process.stderr.write(`cdnbot cannot start.\n${error.message}\n`);
  } else {
    process.stderr.write(
      `cdnbot cannot start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
  }
  process.exit(1);
});
