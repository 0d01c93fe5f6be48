// The baseline for ack latency: a Bolt app on the same machine that only acks /cdn.
import { App, LogLevel } from "@slack/bolt";

const app = new App({
  token: process.env.SLACK_BOT_TOKEN,
  signingSecret: process.env.SLACK_SIGNING_SECRET ?? "",
  logLevel: LogLevel.ERROR,
  clientOptions: { slackApiUrl: process.env.SLACK_API_URL },
});
app.command("/cdn", async ({ ack }) => {
  await ack();
});
await app.start(Number(process.env.PORT));
process.stderr.write("cdnbot is listening (bare Bolt baseline)\n");
