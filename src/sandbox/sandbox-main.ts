import { ConfigError } from "../config/load-config.js";
import { UserError } from "../errors.js";
import { parseSandboxArgs, startSandbox } from "./run-sandbox.js";

const formatSeconds = (s: number) => (s >= 1 ? `${Math.round(s)} s` : `${Math.round(s * 1000)} ms`);

/** `npm run sandbox`: the bot, a Slack-like page and a simulated AWS, on this machine only. */
async function main(): Promise<void> {
  const args = parseSandboxArgs(process.argv.slice(2));
  const sandbox = await startSandbox(args);
  process.stdout.write(
    [
      "",
      sandbox.aws === "moto"
        ? "  cdnbot sandbox: the real bot, a stand-in for Slack, AWS from moto_server."
        : "  cdnbot sandbox: the real bot, a stand-in for Slack, CloudFront and CloudWatch simulated.",
      `  Open ${sandbox.url} and type /cdn help in #deploys.`,
      sandbox.aws === "moto"
        ? "  moto completes invalidations at once and never changes ETags. Ctrl-C stops it."
        : `  Invalidations take ${formatSeconds(20 / args.speed)}–${formatSeconds(40 / args.speed)} here (--speed to change). Ctrl-C stops it.`,
      "",
      "  As a pipeline (its thread appears in #deploys), in another terminal, in this checkout",
      "  (npx finds cdnbot here; elsewhere it would look the name up in the npm registry):",
      `    CDNBOT_URL=${sandbox.api.url} CDNBOT_TOKEN=${sandbox.api.token} npx cdnbot purge web /index.html --wait`,
      "",
    ].join("\n"),
  );
  const stop = () => {
    sandbox.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

main().catch((error: unknown) => {
  if (error instanceof UserError || error instanceof ConfigError) process.stderr.write(`${error.message}\n`);
  else process.stderr.write(`The sandbox could not start: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
