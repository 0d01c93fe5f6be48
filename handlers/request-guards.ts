import type { IncomingMessage, ServerResponse } from "node:http";
import type { AnyMiddlewareArgs, App, Middleware } from "@slack/bolt";
import type { Logger } from "../src/logger.js";
import { REPLAY_WINDOW_MS, type ReplayGuard } from "../src/requests/replay-guard.js";
import { ackedEarly, beforeAckDue, markAckedEarly, STILL_SAVING, stampArrival } from "./ack-deadline.js";

type Listener = (req: IncomingMessage, res: ServerResponse) => void;

/** When each request reached the process, for the ack's deadline (`ack-deadline.ts`). */
const RECEIVED_AT = new WeakMap<IncomingMessage, number>();

/** When this request reached the process, if it came through the listener below. */
export function receivedAt(req: IncomingMessage): number | undefined {
  return RECEIVED_AT.get(req);
}

/**
 * Bolt refuses a signed request older than five minutes but not one dated in the future, which an
 * attacker holding one signature could replay for as long as they liked: refused here with 401,
 * before Bolt reads the body.
 */
export function refuseFutureTimestamps(inner: Listener, clock: () => number, logger: Logger): Listener {
  return (req, res) => {
    RECEIVED_AT.set(req, Date.now());
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

/**
 * Every request's ack deadline is stamped as it arrives; a repeat of a command already handled is
 * acknowledged and dropped: it changes nothing more.
 */
export function register(app: App, deps: { replays: ReplayGuard; logger: Logger }): void {
  app.use(requestGuard(deps));
}

export function requestGuard(deps: { replays: ReplayGuard; logger: Logger }): Middleware<AnyMiddlewareArgs> {
  return async (args) => {
    stampArrival(args.context);
    // Commands only: a vote is kept once per person and request, so a replayed click repeats a vote
    // that changes nothing, and its ack's time goes to storing the vote rather than a claim.
    const triggerId = "command" in args ? triggerIdOf(args.body) : undefined;
    if (!triggerId) return args.next();
    // A claim that cannot be saved (the state file is unwritable) lets the request through: the
    // command then fails at its own first save and says so, which is what the person must hear.
    const claiming = deps.replays.claim(triggerId).catch((error: unknown) => {
      deps.logger.warn("Could not save a request's claim; handling it anyway", { triggerId, error });
      return true;
    });
    // The union of every kind of request's ack takes no one message; a command's takes this one.
    const ack =
      "ack" in args && typeof args.ack === "function"
        ? (args.ack as (response?: { response_type: "ephemeral"; text: string }) => Promise<void>)
        : undefined;
    let claimed = await beforeAckDue(args.context, claiming);
    if (!claimed && ack) {
      // The store is slow: Slack hears within its 3 seconds, and the handler answers by a reply.
      deps.logger.warn("Saving a request's claim outlasted the ack's deadline; acknowledged it first", {
        triggerId,
      });
      await ack("command" in args ? { response_type: "ephemeral", text: STILL_SAVING } : undefined);
      markAckedEarly(args.context);
    }
    claimed ??= { ok: true, value: await claiming };
    if (claimed.ok && !claimed.value) {
      deps.logger.warn("Dropped a repeated Slack request", { triggerId });
      if (ack && !ackedEarly(args.context)) await ack();
      return;
    }
    await args.next();
  };
}
