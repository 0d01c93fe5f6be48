import { createHmac, randomUUID } from "node:crypto";

/**
 * What Slack sends an app, built and signed as Slack does: slash commands (a form), interactions (a
 * form holding a JSON `payload`) and Events API callbacks (JSON), each signed with the app's signing
 * secret. The sandbox delivers through these; the tests build their requests with them too.
 */

/** Slack's request signature: HMAC-SHA256 of `v0:<timestamp>:<raw body>` with the signing secret. */
export function signSlackRequest(
  signingSecret: string,
  rawBody: string,
  timestampSeconds = Math.floor(Date.now() / 1000),
): { "content-type": string; "x-slack-request-timestamp": string; "x-slack-signature": string } {
  const signature = createHmac("sha256", signingSecret)
    .update(`v0:${timestampSeconds}:${rawBody}`)
    .digest("hex");
  return {
    "content-type": "application/x-www-form-urlencoded",
    "x-slack-request-timestamp": String(timestampSeconds),
    "x-slack-signature": `v0=${signature}`,
  };
}

/** Slack gives every invocation and click a trigger id of its own. */
export const newTriggerId = () => `${Date.now()}.${randomUUID()}`;

export type SlashCommandFields = {
  text: string;
  responseUrl: string;
  teamId: string;
  channelId: string;
  channelName: string;
  userId: string;
  userName: string;
  command?: string;
  triggerId?: string;
};

export function slashCommandForm(c: SlashCommandFields): string {
  return new URLSearchParams({
    token: "deprecated-verification-token",
    team_id: c.teamId,
    team_domain: c.teamId.toLowerCase(),
    channel_id: c.channelId,
    channel_name: c.channelName,
    user_id: c.userId,
    user_name: c.userName,
    command: c.command ?? "/cdn",
    text: c.text,
    api_app_id: "A0CDNBOT",
    is_enterprise_install: "false",
    response_url: c.responseUrl,
    trigger_id: c.triggerId ?? newTriggerId(),
  }).toString();
}

export type ButtonClick = {
  teamId: string;
  userId: string;
  userName: string;
  actionId: string;
  blockId: string;
  value: string;
  responseUrl: string;
  triggerId?: string;
  /** Where the button was: a message in a channel, or a person's Home tab. */
  container:
    | {
        type: "message";
        channelId: string;
        channelName: string;
        messageTs: string;
        text: string;
        blocks: unknown[];
      }
    | { type: "view"; viewId: string; view: unknown };
};

/** The `payload` of a `block_actions` interaction. */
export function blockActionsPayload(click: ButtonClick): Record<string, unknown> {
  const where =
    click.container.type === "message"
      ? {
          container: {
            type: "message",
            message_ts: click.container.messageTs,
            channel_id: click.container.channelId,
            is_ephemeral: false,
          },
          channel: { id: click.container.channelId, name: click.container.channelName },
          message: {
            type: "message",
            ts: click.container.messageTs,
            text: click.container.text,
            blocks: click.container.blocks,
          },
        }
      : { container: { type: "view", view_id: click.container.viewId }, view: click.container.view };
  return {
    type: "block_actions",
    team: { id: click.teamId, domain: click.teamId.toLowerCase() },
    user: { id: click.userId, username: click.userName, team_id: click.teamId },
    api_app_id: "A0CDNBOT",
    token: "deprecated-verification-token",
    trigger_id: click.triggerId ?? newTriggerId(),
    response_url: click.responseUrl,
    ...where,
    actions: [
      {
        type: "button",
        action_id: click.actionId,
        block_id: click.blockId,
        value: click.value,
        action_ts: String(Date.now() / 1000),
        text: { type: "plain_text", text: click.actionId },
      },
    ],
  };
}

/** An interaction as Slack posts it: a form whose `payload` field is the JSON. */
export function interactionForm(payload: object): string {
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

/** An Events API callback (e.g. `app_home_opened`), as Slack posts it: JSON. */
export function eventCallbackBody(teamId: string, event: Record<string, unknown>): string {
  return JSON.stringify({
    token: "deprecated-verification-token",
    team_id: teamId,
    api_app_id: "A0CDNBOT",
    type: "event_callback",
    event_id: `Ev${randomUUID().replace(/-/g, "").slice(0, 10).toUpperCase()}`,
    event_time: Math.floor(Date.now() / 1000),
    event: { event_ts: String(Date.now() / 1000), ...event },
  });
}
