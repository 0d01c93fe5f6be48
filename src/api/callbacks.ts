import { createHmac } from "node:crypto";
import type { EffectivePolicy } from "../approvals/policy.js";
import type { CdnbotConfig } from "../config/config-schema.js";
import type { Logger } from "../logger.js";
import type { RecordStore, RecordWrite } from "../store/record-store.js";
import {
  type ApprovalRequest,
  type CallbackDelivery,
  type ChangeOperation,
  callbackPending,
  type PurgeOperation,
} from "../store/records.js";
import { retryOnConflict } from "../store/retry-on-conflict.js";
import { retryDelay } from "../tracking/backoff.js";
import { ApiError } from "./api-errors.js";
import { findOperation, operationStatus } from "./operation-status.js";

/** Tries per callback; with the backoff, the last comes about 40 minutes after the first at 20 s polls. */
export const MAX_CALLBACK_ATTEMPTS = 8;
const CALLBACK_TIMEOUT_MS = 10_000;
const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]"]);

/**
 * Whether an `allowedHosts` entry lets a callback go to this URL: `host:port` that port only; a bare
 * host its scheme's default port only (so `https://ci.example.com:22/` is not `ci.example.com`),
 * except on this machine, where a test receiver listens on whatever port it was given.
 */
function allows(entry: string, url: URL): boolean {
  const [host, port] = entry.toLowerCase().split(":") as [string, string | undefined];
  if (host !== url.hostname) return false;
  if (port !== undefined) return url.port === port;
  return url.port === "" || LOOPBACK.has(url.hostname);
}

/**
 * A request's `callbackUrl`, checked: a host the config allows (no other: the bot must not be made
 * to call into a network for someone), over https (plain http only on this machine), and a secret
 * to sign with.
 */
export function checkCallbackUrl(config: CdnbotConfig, secret: string | undefined, raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ApiError(400, "invalid_request", "callbackUrl: not a URL.");
  }
  const allowed = config.api?.callbacks?.allowedHosts ?? [];
  if (!allowed.some((entry) => allows(entry, url)))
    throw new ApiError(
      422,
      "refused",
      `callbackUrl: ${url.host} is not among the hosts callbacks may go to (api.callbacks.allowedHosts).`,
    );
  if (url.protocol !== "https:" && !(url.protocol === "http:" && LOOPBACK.has(url.hostname)))
    throw new ApiError(422, "refused", "callbackUrl: https only (plain http only for localhost).");
  if (url.username || url.password)
    throw new ApiError(400, "invalid_request", "callbackUrl: no credentials in the URL.");
  if (!secret)
    throw new ApiError(
      422,
      "refused",
      "Callbacks are not set up on this bot: set CDNBOT_CALLBACK_SECRET so they can be signed.",
    );
  return url.toString();
}

/**
 * The signature of a callback, as its receiver checks it: HMAC-SHA256 with the shared secret over
 * `v1:<timestamp>:<body>`, hex, prefixed `v1=` (Slack's scheme). Receivers should refuse a
 * timestamp more than five minutes old.
 */
export function signCallback(secret: string, timestamp: number, body: string): string {
  return `v1=${createHmac("sha256", secret).update(`v1:${timestamp}:${body}`).digest("hex")}`;
}

export type CallbackDeps = {
  records: RecordStore;
  policyFor: (alias: string, tenant?: string) => EffectivePolicy;
  secret: string | undefined;
  clock: () => number;
  logger: Logger;
  /** The first retry's delay; later ones double. */
  retryBaseMs: number;
  random?: () => number;
};

type FinalRecord =
  | { kind: "purge"; record: PurgeOperation }
  | { kind: "change"; record: ChangeOperation }
  | { kind: "approval"; record: ApprovalRequest };

/** The records that end an operation: a purge or change that finished, a request that never ran. */
async function finishedWithCallbacks(records: RecordStore): Promise<FinalRecord[]> {
  const [purges, changes, approvals] = await Promise.all([
    records.list("purge"),
    records.list("change"),
    records.list("approval"),
  ]);
  // Once its thread has been told too: the record is then at rest, and the caller hears no sooner
  // than the people in the channel.
  return [
    ...purges
      .filter((r) => (r.state === "completed" || r.state === "failed") && r.announced.final)
      .map((record) => ({ kind: "purge" as const, record })),
    ...changes
      .filter((r) => (r.state === "deployed" || r.state === "failed") && r.announced.final)
      .map((record) => ({ kind: "change" as const, record })),
    ...approvals
      .filter(
        (r) =>
          (r.state === "rejected" || r.state === "expired" || r.state === "cancelled") && r.messageSettled,
      )
      .map((record) => ({ kind: "approval" as const, record })),
  ].filter((f) => callbackPending(f.record));
}

function withDelivery(found: FinalRecord, callback: CallbackDelivery): RecordWrite {
  const expectedVersion = found.record.version;
  switch (found.kind) {
    case "purge":
      return { kind: "purge", op: "replace", record: { ...found.record, callback }, expectedVersion };
    case "change":
      return { kind: "change", op: "replace", record: { ...found.record, callback }, expectedVersion };
    case "approval":
      return { kind: "approval", op: "replace", record: { ...found.record, callback }, expectedVersion };
  }
}

/** POSTs it once; the answer's status, or why there was none. Redirects are not followed. */
async function post(url: string, body: string, headers: Record<string, string>): Promise<string | undefined> {
  try {
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", "user-agent": "cdnbot", ...headers },
      body,
      redirect: "manual",
      signal: AbortSignal.timeout(CALLBACK_TIMEOUT_MS),
    });
    await res.body?.cancel();
    return res.status >= 200 && res.status < 300 ? undefined : `answered ${res.status}`;
  } catch (error) {
    return (error as Error).name === "TimeoutError" ? "no answer within 10 s" : "could not connect";
  }
}

/**
 * The scheduled job: POSTs each finished operation's final state to its callback URL, signed,
 * retrying with backoff until it is taken (any 2xx) or the tries run out; each outcome is in the
 * audit log. At least once: a crash between the POST and its record sends it again, so receivers
 * key on the operation's id.
 */
export async function deliverCallbacks(deps: CallbackDeps): Promise<void> {
  const now = deps.clock();
  for (const found of await finishedWithCallbacks(deps.records)) {
    const { record } = found;
    const delivery: CallbackDelivery = record.callback ?? { attempts: 0 };
    if ((delivery.nextAt ?? 0) > now) continue;
    const url = record.origin!.callbackUrl!;
    const operation = await findOperation(deps.records, record.id);
    if (!operation) continue;
    const status = operationStatus(operation, deps.policyFor);
    if (!status.final) continue; // an approved request's run carries the callback
    const attempts = delivery.attempts + 1;
    let next: CallbackDelivery;
    let summary: string;
    let ok = false;
    if (!deps.secret) {
      next = { attempts, gaveUpAt: now, lastError: "CDNBOT_CALLBACK_SECRET is not set" };
      summary = `Callback to ${new URL(url).host} not sent: CDNBOT_CALLBACK_SECRET is not set`;
    } else {
      const body = JSON.stringify({ type: "operation.final", operation: status });
      const timestamp = Math.floor(now / 1000);
      const problem = await post(url, body, {
        "x-cdnbot-timestamp": String(timestamp),
        "x-cdnbot-signature": signCallback(deps.secret, timestamp, body),
      });
      ok = problem === undefined;
      const host = new URL(url).host;
      if (ok) {
        next = { attempts, deliveredAt: now };
        summary = `Callback to ${host} delivered (${status.state}, attempt ${attempts})`;
      } else if (attempts >= MAX_CALLBACK_ATTEMPTS) {
        next = { attempts, gaveUpAt: now, lastError: problem! };
        summary = `Callback to ${host} given up after ${attempts} attempts: ${problem}`;
      } else {
        const wait = retryDelay(attempts, deps.retryBaseMs, 30 * 60_000, deps.random);
        next = { attempts, nextAt: now + wait, lastError: problem! };
        summary = `Callback to ${host} failed (${problem}); trying again in ${Math.round(wait / 1000)} s`;
      }
    }
    const audit = {
      type: "api.callback",
      actor: record.requestedBy,
      alias: record.alias,
      distributionId: record.distributionId,
      operationId: record.id,
      summary,
      outcome: ok ? ("ok" as const) : ("error" as const),
    };
    // Recorded on the record as it is now: what was sent must not be sent again for a lost race.
    await retryOnConflict(async () => {
      const fresh = await deps.records.get(found.kind, record.id);
      if (!fresh) return;
      await deps.records.commit(
        { writes: [withDelivery({ kind: found.kind, record: fresh } as FinalRecord, next)], audit: [audit] },
        now,
      );
    });
    if (!ok) deps.logger.warn("Callback not delivered", { operationId: record.id, summary });
  }
}
