import { randomUUID } from "node:crypto";
import { type WebSocket, WebSocketServer } from "ws";

export type Envelope = { type: "slash_commands" | "interactive"; payload: Record<string, unknown> };
export type Ack = { envelopeId: string; afterMs: number; payload?: unknown };

export type FakeSocketMode = {
  url: string;
  /** How many connections the bot has opened so far. */
  connections(): number;
  /** Resolves once the bot has an open connection (after `hello`). */
  connected(): Promise<void>;
  /** Sends an envelope as Slack would and resolves with the bot's acknowledgement of it. */
  deliver(envelope: Envelope, timeoutMs?: number): Promise<Ack>;
  /** Closes every connection from Slack's side, as when Slack drops or refreshes a socket. */
  dropAll(): void;
  close(): Promise<void>;
};

/**
 * A local stand-in for Slack's Socket Mode endpoint: says `hello`, delivers envelopes and records
 * the acknowledgements (`{ envelope_id, payload? }`) the app sends back. Built on `ws`.
 */
export async function startFakeSocketMode(): Promise<FakeSocketMode> {
  const server = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  await new Promise<void>((resolve) => server.once("listening", () => resolve()));
  const { port } = server.address() as { port: number };
  const open = new Set<WebSocket>();
  const waiting = new Map<string, { sentAt: number; resolve: (ack: Ack) => void }>();
  let opened = 0;
  let latest: WebSocket | undefined;

  server.on("connection", (socket) => {
    opened++;
    open.add(socket);
    latest = socket;
    socket.on("close", () => open.delete(socket));
    socket.on("message", (data) => {
      const message = JSON.parse(String(data)) as { envelope_id?: string; payload?: unknown };
      const pending = message.envelope_id ? waiting.get(message.envelope_id) : undefined;
      if (!pending || !message.envelope_id) return;
      waiting.delete(message.envelope_id);
      pending.resolve({
        envelopeId: message.envelope_id,
        afterMs: Date.now() - pending.sentAt,
        ...(message.payload !== undefined ? { payload: message.payload } : {}),
      });
    });
    socket.send(
      JSON.stringify({
        type: "hello",
        num_connections: open.size,
        debug_info: { host: "fake-socket-mode", approximate_connection_time: 3600 },
        connection_info: { app_id: "AFAKE" },
      }),
    );
  });

  const until = async (ready: () => boolean, what: string, timeoutMs = 10_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!ready()) {
      if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  return {
    url: `ws://127.0.0.1:${port}/`,
    connections: () => opened,
    connected: () => until(() => latest !== undefined && open.has(latest), "an open Socket Mode connection"),
    async deliver(envelope, timeoutMs = 10_000) {
      await until(() => latest !== undefined && open.has(latest), "an open Socket Mode connection");
      const envelopeId = randomUUID();
      const acked = new Promise<Ack>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no ack for envelope ${envelopeId} in ${timeoutMs} ms`)),
          timeoutMs,
        );
        waiting.set(envelopeId, {
          sentAt: Date.now(),
          resolve: (ack) => {
            clearTimeout(timer);
            resolve(ack);
          },
        });
      });
      latest!.send(
        JSON.stringify({
          envelope_id: envelopeId,
          type: envelope.type,
          accepts_response_payload: envelope.type === "slash_commands",
          retry_attempt: 0,
          retry_reason: "",
          payload: envelope.payload,
        }),
      );
      return acked;
    },
    dropAll() {
      for (const socket of open) socket.terminate();
      latest = undefined;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of open) socket.terminate();
        server.close(() => resolve());
      }),
  };
}
