import {
  blockActionsPayload,
  eventCallbackBody,
  interactionForm,
  signSlackRequest,
  slashCommandForm,
} from "../../src/sandbox/slack-deliveries.js";

/** The channel a command or click comes from when a test names none. */
export const DEFAULT_CHANNEL = "C0001";

export { signSlackRequest };

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
  return slashCommandForm({
    text: cmd.text,
    responseUrl: cmd.responseUrl,
    teamId: cmd.teamId ?? "T0001",
    channelId: cmd.channelId ?? DEFAULT_CHANNEL,
    channelName: cmd.channelName ?? "deploys",
    userId: cmd.userId ?? "U0001",
    userName: cmd.userName ?? "alice",
    ...(cmd.command ? { command: cmd.command } : {}),
    ...(cmd.triggerId ? { triggerId: cmd.triggerId } : {}),
  });
}

export type PostResult = { status: number; body: string; json?: unknown; elapsedMs: number };

export async function post(
  url: string,
  rawBody: string,
  headers: Record<string, string>,
): Promise<PostResult> {
  const started = performance.now();
  const send = () => fetch(url, { method: "POST", headers, body: rawBody });
  let res: Response;
  try {
    res = await send();
  } catch (error) {
    // A kept-alive connection the bot closed while it sat idle (a test's spawnSync blocks the
    // event loop past the server's keep-alive timeout, so the pool never dropped it): the request
    // never reached the bot, and goes again on a fresh connection. Anything else is the test's.
    const code = (error as { cause?: { code?: string } }).cause?.code;
    if (code !== "ECONNRESET" && code !== "UND_ERR_SOCKET") throw error;
    res = await send();
  }
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
  return blockActionsPayload({
    teamId: a.teamId ?? "T0001",
    userId: a.userId,
    userName: a.userId.toLowerCase(),
    actionId: a.actionId,
    blockId: a.blockId ?? "actions",
    value: a.value,
    responseUrl: a.responseUrl,
    ...(a.triggerId ? { triggerId: a.triggerId } : {}),
    container: {
      type: "message",
      channelId: a.channelId ?? DEFAULT_CHANNEL,
      channelName: "deploys",
      messageTs: a.messageTs,
      text: "",
      blocks: [],
    },
  });
}

/** A modal's submission (view_submission), as Slack posts it: the view's callback id and metadata. */
export function viewSubmissionPayload(v: {
  userId: string;
  callbackId: string;
  privateMetadata: string;
  teamId?: string;
}): Record<string, unknown> {
  const teamId = v.teamId ?? "T0001";
  return {
    type: "view_submission",
    team: { id: teamId, domain: "fake" },
    user: { id: v.userId, username: v.userId.toLowerCase(), name: v.userId.toLowerCase(), team_id: teamId },
    api_app_id: "AFAKE",
    token: "verification-token",
    trigger_id: `trigger-${Date.now()}`,
    view: {
      id: "VSTEPUP",
      team_id: teamId,
      type: "modal",
      callback_id: v.callbackId,
      private_metadata: v.privateMetadata,
      hash: "1.hash",
      state: { values: {} },
      blocks: [],
      title: { type: "plain_text", text: "Approve this request?" },
    },
    response_urls: [],
  };
}

export function postInteraction(
  baseUrl: string,
  signingSecret: string,
  payload: object,
): Promise<PostResult> {
  const raw = interactionForm(payload);
  return post(`${baseUrl}/slack/events`, raw, signSlackRequest(signingSecret, raw));
}

export function postInteractionWithBadSignature(baseUrl: string, payload: object): Promise<PostResult> {
  const raw = interactionForm(payload);
  return post(`${baseUrl}/slack/events`, raw, signSlackRequest("not-the-signing-secret", raw));
}

/** An Events API callback (e.g. `app_home_opened`), signed and posted as Slack does: JSON. */
export function postEvent(
  baseUrl: string,
  signingSecret: string,
  event: Record<string, unknown>,
  teamId = "T0001",
): Promise<PostResult> {
  const raw = eventCallbackBody(teamId, event);
  return post(`${baseUrl}/slack/events`, raw, {
    ...signSlackRequest(signingSecret, raw),
    "content-type": "application/json",
  });
}
