import type { IncomingMessage, ServerResponse } from "node:http";
import type { AnyMiddlewareArgs, App } from "@slack/bolt";
import type { Logger } from "../src/logger.js";
import { REPLAY_WINDOW_MS, type ReplayGuard } from "../src/requests/replay-guard.js";

type Listener = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * Bolt refuses a signed request older than five minutes but not one dated in the future, which an
 * attacker holding one signature could replay for as long as they liked: refused here with 401,
 * before Bolt reads the body.
 */
export function refuseFutureTimestamps(inner: Listener, clock: () => number, logger: Logger): Listener {
  return (req, res) => {
    const header = req.headers["x-slack-request-timestamp"];
    const sentAt = Number(Array.isArray(header) ? header[0] : header) * 1000;
    if (req.method === "POST" && Number.isFinite(sentAt) && sentAt - clock() > REPLAY_WINDOW_MS) {
      logger.warn("Refused a Slack request dated in the future", { skewSeconds: (sentAt - clock()) / 1000 });
      res.writeHead(401);
      res.end();
      return;
    }
    inner(req, res);
  };
}

function triggerIdOf(body: AnyMiddlewareArgs["body"]): string | undefined {
  const id = (body as { trigger_id?: unknown }).trigger_id;
  return typeof id === "string" && id.length > 0 ? id : undefined;
}

/** A repeat of a request already handled is acknowledged and dropped: it changes nothing more. */
export function register(app: App, deps: { replays: ReplayGuard; logger: Logger }): void {
  app.use(async (args) => {
    const triggerId = triggerIdOf(args.body);
    // A claim that cannot be saved (the state file is unwritable) lets the request through: the
    // command then fails at its own first save and says so, which is what the person must hear.
    const fresh =
      !triggerId ||
      (await deps.replays.claim(triggerId).catch((error: unknown) => {
        deps.logger.warn("Could not save a request's claim; handling it anyway", { triggerId, error });
        return true;
      }));
    if (!fresh) {
      deps.logger.warn("Dropped a repeated Slack request", { triggerId });
      if ("ack" in args && typeof args.ack === "function") await args.ack();
      return;
    }
    await args.next();
  });
}
