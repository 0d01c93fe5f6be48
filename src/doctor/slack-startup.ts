import { StartupError } from "../errors.js";

const REFUSED_TOKEN = new Set([
  "invalid_auth",
  "not_authed",
  "account_inactive",
  "token_revoked",
  "token_expired",
  "no_permission",
]);

/** Why Slack's `auth.test` at start-up failed, as one sentence naming what to fix. */
export function describeSlackStartupFailure(error: unknown, apiUrl: string): StartupError {
  const e = error as {
    code?: string;
    data?: { error?: string };
    original?: { code?: string; message?: string };
  };
  const slackError = e.data?.error;
  if (slackError && REFUSED_TOKEN.has(slackError)) {
    return new StartupError(
      `Slack refused SLACK_BOT_TOKEN (${slackError}): copy the Bot User OAuth Token (xoxb-…) from your app's OAuth & Permissions page, and reinstall the app if it was revoked.`,
    );
  }
  if (slackError) {
    return new StartupError(
      `Slack answered ${slackError} when the bot checked SLACK_BOT_TOKEN; check the token and the app.`,
    );
  }
  const why = e.original?.code ?? e.original?.message ?? e.code ?? String(error);
  return new StartupError(
    `Cannot reach Slack's Web API at ${apiUrl} (${why}): check the network or proxy, or SLACK_API_URL if it is set.`,
  );
}

/** Why Socket Mode could not connect at start-up (`apps.connections.open`), as one sentence. */
export function describeSocketModeFailure(error: unknown, apiUrl: string): StartupError {
  const slackError = (error as { data?: { error?: string } }).data?.error;
  if (slackError) {
    return new StartupError(
      `Slack refused SLACK_APP_TOKEN (${slackError}): create an app-level token (xapp-…) with the connections:write scope on your app's Basic Information page, and enable Socket Mode for the app.`,
    );
  }
  const e = error as { code?: string; original?: { code?: string; message?: string } };
  const why = e.original?.code ?? e.original?.message ?? e.code ?? String(error);
  return new StartupError(
    `Cannot open a Socket Mode connection through ${apiUrl} (${why}): check the network or proxy, or SLACK_API_URL if it is set.`,
  );
}
