/**
 * The sandbox's Slack: a workspace with a few channels and people, the messages in them, and the
 * Web API methods the bot calls, answered as Slack documents them. The page shows what is here;
 * what changes is announced to it as events. Kept in memory: the sandbox is for trying things.
 */

export type SandboxPerson = { id: string; name: string; title: string };
export type SandboxChannel = { id: string; name: string };

export type SandboxFile = { id: string; name: string; title?: string; bytes?: Buffer; mimetype: string };

export type SandboxMessage = {
  channel: string;
  ts: string;
  /** The thread's parent, for a reply. */
  threadTs?: string;
  /** Who wrote it: a person's id, or the bot's user id. */
  user: string;
  text: string;
  blocks?: unknown[];
  /** Only this person sees it ("Only visible to you"). */
  visibleTo?: string;
  edited?: boolean;
  /** What the bot attached as message metadata (its marker for posts it must not repeat). */
  metadata?: unknown;
  files?: { id: string; title: string; url: string }[];
};

export type WorkspaceEvent =
  | { kind: "message"; message: SandboxMessage }
  | { kind: "update"; message: SandboxMessage }
  | { kind: "home"; user: string; view: unknown };

export type WebApiAnswer = Record<string, unknown> & { ok: boolean };

export const SANDBOX_TEAM = { id: "T0SANDBOX", name: "Sandbox" };
export const SANDBOX_BOT = { userId: "U0CDNBOT", botId: "B0CDNBOT", name: "cdnbot" };

/** Three people: one asks, another approves, a third is on call. */
export const SANDBOX_PEOPLE: SandboxPerson[] = [
  { id: "U0ALICE", name: "alice", title: "Web developer" },
  { id: "U0BOB", name: "bob", title: "Platform lead" },
  { id: "U0CAROL", name: "carol", title: "On call" },
];

export const SANDBOX_CHANNELS: SandboxChannel[] = [
  { id: "C0DEPLOYS", name: "deploys" },
  { id: "C0INCIDENTS", name: "incidents" },
];

const str = (value: unknown): string | undefined => (typeof value === "string" && value ? value : undefined);

export class SlackWorkspace {
  readonly people = SANDBOX_PEOPLE;
  readonly channels = SANDBOX_CHANNELS;
  readonly messages: SandboxMessage[] = [];
  readonly homes = new Map<string, unknown>();
  readonly files = new Map<string, SandboxFile>();
  /** User groups by id (for policies that name one). */
  readonly userGroups = new Map<string, string[]>();
  private readonly listeners = new Set<(event: WorkspaceEvent) => void>();
  private sequence = 0;

  constructor(
    /** Where the stand-in serves files and permalinks from (the page's own address). */
    private readonly baseUrl: () => string,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Calls `listener` with every change from now on; returns the function that stops it. */
  subscribe(listener: (event: WorkspaceEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Workflow Builder steps the page started, by execution id: where to say how each ended. */
  private readonly steps = new Map<string, { channel: string; user: string; title: string }>();

  /** A Workflow Builder step the page runs: how it ends is said in its channel, as Slack's runs show it. */
  startStep(executionId: string, step: { channel: string; user: string; title: string }): void {
    this.steps.set(executionId, step);
  }

  /** functions.completeSuccess / completeError: the step's end, once; a second answer is refused. */
  private completeStep(args: Record<string, unknown>, method: string): WebApiAnswer {
    const id = str(args.function_execution_id) ?? "";
    const step = this.steps.get(id);
    if (!step) return { ok: false, error: "function_execution_not_found" };
    this.steps.delete(id);
    const outputs = (args.outputs ?? {}) as Record<string, unknown>;
    const text =
      method === "functions.completeSuccess"
        ? `Workflow step “${step.title}” completed: ${Object.entries(outputs)
            .map(([k, v]) => `${k} ${String(v)}`)
            .join(", ")}`
        : `Workflow step “${step.title}” failed: ${String(args.error ?? "")}`;
    this.add({ channel: step.channel, user: "USLACKBOT", text, visibleTo: step.user });
    return { ok: true };
  }

  /** A message a person typed in the page (not a command). */
  postAsPerson(user: string, channel: string, text: string, threadTs?: string): SandboxMessage {
    return this.add({ channel, user, text, ...(threadTs ? { threadTs } : {}) });
  }

  /** What `response_url` posts become: a reply only the person sees, or one in the channel. */
  respond(
    to: { user: string; channel: string },
    body: { text?: unknown; blocks?: unknown; response_type?: unknown; thread_ts?: unknown },
  ): SandboxMessage {
    const threadTs = str(body.thread_ts);
    return this.add({
      channel: to.channel,
      user: SANDBOX_BOT.userId,
      text: String(body.text ?? ""),
      ...(Array.isArray(body.blocks) ? { blocks: body.blocks } : {}),
      ...(body.response_type === "in_channel" ? {} : { visibleTo: to.user }),
      ...(threadTs ? { threadTs } : {}),
    });
  }

  /** Answers one Web API call as Slack would, from its arguments (already parsed). */
  call(method: string, args: Record<string, unknown>): WebApiAnswer {
    const channel = str(args.channel) ?? str(args.channel_id);
    if (channel && !this.channels.some((c) => c.id === channel) && method !== "chat.postEphemeral")
      return { ok: false, error: "channel_not_found" };
    const answer = this.methods[method];
    return answer ? answer(args, channel, method) : { ok: false, error: "unknown_method" };
  }

  /** Each Web API method the sandbox answers, by name. */
  private readonly methods: Record<
    string,
    (args: Record<string, unknown>, channel: string | undefined, method: string) => WebApiAnswer
  > = {
    "auth.test": () => this.authTest(),
    "chat.postMessage": (args, channel) => this.postMessage(args, channel),
    "chat.postEphemeral": (args, channel) => this.postEphemeral(args, channel),
    "chat.update": (args, channel) => this.update(args, channel),
    "chat.getPermalink": (args, channel) => this.getPermalink(args, channel),
    "conversations.history": (args, channel, method) => this.history(args, channel, method),
    "conversations.replies": (args, channel, method) => this.history(args, channel, method),
    "conversations.info": (_args, channel) => this.conversationInfo(channel),
    "usergroups.users.list": (args) => this.userGroupMembers(args),
    "views.publish": (args) => this.publishView(args),
    "files.getUploadURLExternal": (args) => this.uploadUrl(args),
    "files.completeUploadExternal": (args, channel) => this.completeUpload(args, channel),
    "functions.completeSuccess": (args, _channel, method) => this.completeStep(args, method),
    "functions.completeError": (args, _channel, method) => this.completeStep(args, method),
  };

  private authTest(): WebApiAnswer {
    return {
      ok: true,
      url: `${this.baseUrl()}/`,
      team: SANDBOX_TEAM.name,
      team_id: SANDBOX_TEAM.id,
      user: SANDBOX_BOT.name,
      user_id: SANDBOX_BOT.userId,
      bot_id: SANDBOX_BOT.botId,
    };
  }

  private postMessage(args: Record<string, unknown>, channel: string | undefined): WebApiAnswer {
    const threadTs = str(args.thread_ts);
    if (threadTs && !this.find(channel ?? "", threadTs)) return { ok: false, error: "thread_not_found" };
    const message = this.add({
      channel: channel ?? "",
      user: SANDBOX_BOT.userId,
      text: String(args.text ?? ""),
      ...(Array.isArray(args.blocks) ? { blocks: args.blocks } : {}),
      ...(threadTs ? { threadTs } : {}),
      ...(args.metadata ? { metadata: args.metadata } : {}),
    });
    return {
      ok: true,
      channel: message.channel,
      ts: message.ts,
      message: { text: message.text, ts: message.ts },
    };
  }

  private postEphemeral(args: Record<string, unknown>, channel: string | undefined): WebApiAnswer {
    const user = str(args.user);
    if (!user || !this.people.some((p) => p.id === user)) return { ok: false, error: "user_not_found" };
    const threadTs = str(args.thread_ts);
    const message = this.add({
      channel: channel ?? "",
      user: SANDBOX_BOT.userId,
      text: String(args.text ?? ""),
      visibleTo: user,
      ...(Array.isArray(args.blocks) ? { blocks: args.blocks } : {}),
      ...(threadTs ? { threadTs } : {}),
    });
    return { ok: true, message_ts: message.ts };
  }

  private update(args: Record<string, unknown>, channel: string | undefined): WebApiAnswer {
    const message = this.find(channel ?? "", str(args.ts) ?? "");
    if (!message) return { ok: false, error: "message_not_found" };
    if (message.user !== SANDBOX_BOT.userId) return { ok: false, error: "cant_update_message" };
    message.text = String(args.text ?? "");
    if (Array.isArray(args.blocks)) message.blocks = args.blocks;
    else delete message.blocks;
    message.edited = true;
    this.emit({ kind: "update", message });
    return { ok: true, channel: message.channel, ts: message.ts, text: message.text };
  }

  private getPermalink(args: Record<string, unknown>, channel: string | undefined): WebApiAnswer {
    const message = this.find(channel ?? "", str(args.message_ts) ?? "");
    if (!message) return { ok: false, error: "message_not_found" };
    return {
      ok: true,
      channel: message.channel,
      permalink: `${this.baseUrl()}/archives/${message.channel}/p${message.ts.replace(".", "")}`,
    };
  }

  private history(args: Record<string, unknown>, channel: string | undefined, method: string): WebApiAnswer {
    const thread = method === "conversations.replies" ? str(args.ts) : undefined;
    const found = this.messages.filter(
      (m) =>
        m.channel === channel &&
        !m.visibleTo &&
        (thread ? m.ts === thread || m.threadTs === thread : !m.threadTs),
    );
    return {
      ok: true,
      has_more: false,
      messages: (thread ? found : [...found].reverse()).map((m) => ({
        type: "message",
        user: m.user,
        ts: m.ts,
        text: m.text,
        ...(args.include_all_metadata && m.metadata ? { metadata: m.metadata } : {}),
      })),
    };
  }

  private conversationInfo(channel: string | undefined): WebApiAnswer {
    const found = this.channels.find((c) => c.id === channel);
    if (!found) return { ok: false, error: "channel_not_found" };
    return { ok: true, channel: { id: found.id, name: found.name, is_channel: true, is_member: true } };
  }

  private userGroupMembers(args: Record<string, unknown>): WebApiAnswer {
    const users = this.userGroups.get(str(args.usergroup) ?? "");
    return users ? { ok: true, users } : { ok: false, error: "no_such_subteam" };
  }

  private publishView(args: Record<string, unknown>): WebApiAnswer {
    const user = str(args.user_id);
    if (!user || !this.people.some((p) => p.id === user)) return { ok: false, error: "user_not_found" };
    this.homes.set(user, args.view);
    this.emit({ kind: "home", user, view: args.view });
    return { ok: true, view: args.view };
  }

  private uploadUrl(args: Record<string, unknown>): WebApiAnswer {
    const name = str(args.filename);
    if (!name || !Number(args.length)) return { ok: false, error: "invalid_arguments" };
    const id = `F0${String(++this.sequence).padStart(8, "0")}`;
    this.files.set(id, {
      id,
      name,
      mimetype: name.endsWith(".png") ? "image/png" : "application/octet-stream",
    });
    return { ok: true, file_id: id, upload_url: `${this.baseUrl()}/upload/${id}` };
  }

  private completeUpload(args: Record<string, unknown>, channel: string | undefined): WebApiAnswer {
    const listed = Array.isArray(args.files) ? (args.files as { id?: string; title?: string }[]) : [];
    const files = listed.map((f) => (f.id ? this.files.get(f.id) : undefined));
    if (files.length === 0 || files.some((f) => !f?.bytes)) return { ok: false, error: "file_not_found" };
    const shown = files.map((f, i) => ({
      id: f!.id,
      title: listed[i]?.title ?? f!.name,
      url: `${this.baseUrl()}/files/${f!.id}`,
    }));
    if (channel) {
      const threadTs = str(args.thread_ts);
      this.add({
        channel,
        user: SANDBOX_BOT.userId,
        text: String(args.initial_comment ?? ""),
        files: shown,
        ...(threadTs ? { threadTs } : {}),
      });
    }
    return { ok: true, files: shown.map((f) => ({ id: f.id, title: f.title })) };
  }

  /** The bytes of an upload, sent to the URL `files.getUploadURLExternal` gave. */
  upload(fileId: string, bytes: Buffer): boolean {
    const file = this.files.get(fileId);
    if (!file || file.bytes) return false;
    file.bytes = bytes;
    return true;
  }

  /** What `person` sees of a channel, oldest first: everyone's messages and their own ephemeral ones. */
  visibleIn(channel: string, person: string): SandboxMessage[] {
    return this.messages.filter((m) => m.channel === channel && (!m.visibleTo || m.visibleTo === person));
  }

  private find(channel: string, ts: string): SandboxMessage | undefined {
    return this.messages.find((m) => m.channel === channel && m.ts === ts);
  }

  private add(fields: Omit<SandboxMessage, "ts">): SandboxMessage {
    // Slack's ts: when it was posted, in seconds (the page shows that time), then a sequence that
    // keeps messages of one second in order.
    const message: SandboxMessage = {
      ...fields,
      ts: `${Math.floor(this.clock() / 1000)}.${String(++this.sequence).padStart(6, "0")}`,
    };
    this.messages.push(message);
    this.emit({ kind: "message", message });
    return message;
  }

  private emit(event: WorkspaceEvent): void {
    for (const listener of this.listeners) listener(event);
  }
}
