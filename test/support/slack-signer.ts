import { createHmac, randomUUID } from "node:crypto";

/** The channel a command or click comes from when a test names none. */
export const DEFAULT_CHANNEL = "C0001";

/** Slack's request signature: HMAC-SHA256 of `v0:<timestamp>:<raw body>` with the signing secret. */
export function signSlackRequest(
  signingSecret: string,
  rawBody: string,
  timestampSeconds = Math.floor(Date.now() / 1000),
) {
  const signature = createHmac("sha256", signingSecret)
    .update(`v0:${timestampSeconds}:${rawBody}`)
    .digest("hex");
  return {
    "content-type": "application/x-www-form-urlencoded",
    "x-slack-request-timestamp": String(timestampSeconds),
    "x-slack-signature": `v0=${signature}`,
  };
}

export type SlashCommand = {
  text: string;
  responseUrl: string;
  userId?: string;
  userName?: string;
  channelId?: string;
  channelName?: string;
  teamId?: string;
  command?: string;
  triggerId?: string;
};

export function slashCommandBody(cmd: SlashCommand): string {
  return new URLSearchParams({
    token: "deprecated-verification-token",
    team_id: cmd.teamId ?? "T0001",
    team_domain: "fake",
    channel_id: cmd.channelId ?? DEFAULT_CHANNEL,
    channel_name: cmd.channelName ?? "deploys",
    user_id: cmd.userId ?? "U0001",
    user_name: cmd.userName ?? "alice",
    command: cmd.command ?? "/cdn",
    text: cmd.text,
    api_app_id: "A0001",
    is_enterprise_install: "false",
    response_url: cmd.responseUrl,
    // Slack gives every invocation its own trigger_id.
    trigger_id: cmd.triggerId ?? `${Date.now()}.${randomUUID()}`,
  }).toString();
}

export type PostResult = { status: number; body: string; json?: unknown; elapsedMs: number };

export async function post(
  url: string,
  rawBody: string,
  headers: Record<string, string>,
): Promise<PostResult> {
  const started = performance.now();
  const res = await fetch(url, { method: "POST", headers, body: rawBody });
  const body = await res.text();
  const elapsedMs = performance.now() - started;
  let json: unknown;
  try {
    json = body ? JSON.parse(body) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, body, elapsedMs, ...(json === undefined ? {} : { json }) };
}

export function postSlashCommand(
  baseUrl: string,
  signingSecret: string,
  cmd: SlashCommand,
): Promise<PostResult> {
  const raw = slashCommandBody(cmd);
  return post(`${baseUrl}/slack/events`, raw, signSlackRequest(signingSecret, raw));
}

export function postSlashCommandWithBadSignature(baseUrl: string, cmd: SlashCommand): Promise<PostResult> {
  const raw = slashCommandBody(cmd);
  return post(`${baseUrl}/slack/events`, raw, signSlackRequest("not-the-signing-secret", raw));
}

/** Correctly signed, but older than the five minutes Slack's replay protection allows. */
export function postSlashCommandWithStaleTimestamp(
  baseUrl: string,
  signingSecret: string,
  cmd: SlashCommand,
): Promise<PostResult> {
  const raw = slashCommandBody(cmd);
  return post(
    `${baseUrl}/slack/events`,
    raw,
    signSlackRequest(signingSecret, raw, Math.floor(Date.now() / 1000) - 600),
  );
}

export type BlockAction = {
  actionId: string;
  value: string;
  userId: string;
  teamId?: string;
  channelId?: string;
  messageTs: string;
  responseUrl: string;
  blockId?: string;
  triggerId?: string;
};

export function blockActionPayload(a: BlockAction): Record<string, unknown> {
  const teamId = a.teamId ?? "T0001";
  const channelId = a.channelId ?? DEFAULT_CHANNEL;
  return {
    type: "block_actions",
    team: { id: teamId, domain: "fake" },
    user: { id: a.userId, username: a.userId.toLowerCase(), team_id: teamId },
    api_app_id: "A0001",
    token: "deprecated-verification-token",
    container: { type: "message", message_ts: a.messageTs, channel_id: channelId, is_ephemeral: false },
    trigger_id: a.triggerId ?? `${Date.now()}.${randomUUID()}`,
    channel: { id: channelId, name: "deploys" },
    message: { type: "message", ts: a.messageTs, text: "", blocks: [] },
    response_url: a.responseUrl,
    actions: [
      {
        type: "button",
        action_id: a.actionId,
        block_id: a.blockId ?? "actions",
        value: a.value,
        action_ts: String(Date.now() / 1000),
        text: { type: "plain_text", text: a.actionId },
      },
    ],
  };
}

export function postInteraction(
  baseUrl: string,
  signingSecret: string,
  payload: object,
): Promise<PostResult> {
  const raw = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
  return post(`${baseUrl}/slack/events`, raw, signSlackRequest(signingSecret, raw));
}

export function postInteractionWithBadSignature(baseUrl: string, payload: object): Promise<PostResult> {
  const raw = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
  return post(`${baseUrl}/slack/events`, raw, signSlackRequest("not-the-signing-secret", raw));
}

/** An Events API callback (e.g. `app_home_opened`), signed and posted as Slack does: JSON. */
export function postEvent(
  baseUrl: string,
  signingSecret: string,
  event: Record<string, unknown>,
  teamId = "T0001",
): Promise<PostResult> {
  const raw = JSON.stringify({
    token: "deprecated-verification-token",
    team_id: teamId,
    api_app_id: "A0001",
    type: "event_callback",
    event_id: `Ev${randomUUID().replace(/-/g, "").slice(0, 10).toUpperCase()}`,
    event_time: Math.floor(Date.now() / 1000),
    event: { event_ts: String(Date.now() / 1000), ...event },
  });
  return post(`${baseUrl}/slack/events`, raw, {
    ...signSlackRequest(signingSecret, raw),
    "content-type": "application/json",
  });
}
