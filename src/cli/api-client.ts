import { randomUUID } from "node:crypto";
import type {
  AccessLogQuery,
  AccessLogs,
  DistributionStats,
  DistributionStatus,
  DistributionTenants,
  KeyValueKeys,
  OperationStatus,
} from "../api/api-schemas.js";

/** How to reach a cdnbot: its base URL and a client's token (CDNBOT_URL, CDNBOT_TOKEN). */
export type ApiTarget = { url: string; token: string };

/** cdnbot answered with an error: its status, stable code and sentence. */
export class ApiAnswerError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "ApiAnswerError";
  }
}

/** cdnbot could not be reached, or failed inside, after the retries. */
export class ApiUnreachableError extends Error {
  override readonly name = "ApiUnreachableError";
}

const REQUEST_TIMEOUT_MS = 30_000;
/** Tries per call: the pauses between them (0.5, 1, 2, 4, 8 s) ride out a restart or a blip of ~15 s. */
const ATTEMPTS = 6;

/**
 * A small client of cdnbot's HTTP API, for the CLI and the MCP server over stdio. Every call has a
 * timeout; network failures and 5xx answers are retried (a write with the same Idempotency-Key, so
 * a retry never purges twice); 4xx answers are final.
 */
export function createApiClient(target: ApiTarget, options: { sleep?: (ms: number) => Promise<void> } = {}) {
  const sleep = options.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  async function call<T>(
    method: "GET" | "POST" | "DELETE",
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
    timeoutMs = REQUEST_TIMEOUT_MS,
  ): Promise<{ status: number; body: T }> {
    let problem = "";
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      if (attempt > 1) await sleep(500 * 2 ** (attempt - 2));
      let res: Response;
      try {
        res = await fetch(new URL(path, target.url), {
          method,
          headers: {
            authorization: `Bearer ${target.token}`,
            ...(body === undefined ? {} : { "content-type": "application/json" }),
            ...headers,
          },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          // A whole number of ms: AbortSignal.timeout throws a RangeError on a fraction.
          signal: AbortSignal.timeout(Math.ceil(timeoutMs)),
        });
      } catch (error) {
        problem = connectionProblem(error);
        continue;
      }
      const answer = await readAnswer(res);
      if ("retry" in answer) {
        problem = answer.retry;
        continue;
      }
      return { status: answer.status, body: answer.body as T };
    }
    throw new ApiUnreachableError(`cdnbot at ${target.url} ${problem} (${ATTEMPTS} attempts).`);
  }

  const write = (path: string, body: unknown, key?: string) =>
    call<OperationStatus>("POST", path, body, { "idempotency-key": key ?? `cli-${randomUUID()}` });

  return {
    purge: (
      body: { distribution: string; paths: string[]; tags?: string[]; callbackUrl?: string },
      key?: string,
    ) => write("/api/v1/purges", body, key),
    change: (
      body: { distribution: string; change: unknown; staged?: unknown; callbackUrl?: string },
      key?: string,
    ) => write("/api/v1/changes", body, key),
    /** Promotes or aborts a staged change (no Idempotency-Key: deciding twice changes nothing more). */
    decideStaged: (id: string, kind: "promote" | "abort", reason?: string) =>
      call<OperationStatus>(
        "POST",
        `/api/v1/changes/${encodeURIComponent(id)}/${kind}`,
        reason ? { reason } : {},
        {},
      ),
    createEnvironment: (
      body: { template: string; name: string; origin: string; alias?: string },
      key?: string,
    ) => write("/api/v1/environments", body, key),
    deleteEnvironment: (name: string, key?: string) =>
      call<OperationStatus>("DELETE", `/api/v1/environments/${encodeURIComponent(name)}`, undefined, {
        "idempotency-key": key ?? `cli-${randomUUID()}`,
      }),
    operation: (id: string) => call<OperationStatus>("GET", `/api/v1/operations/${encodeURIComponent(id)}`),
    /** Waits server-side up to `seconds` (at most 120); the answer says whether it is final. */
    waitFor: (id: string, seconds: number) => {
      const whole = Math.max(0, Math.round(seconds));
      return call<OperationStatus>(
        "GET",
        `/api/v1/operations/${encodeURIComponent(id)}/wait?timeout=${whole}`,
        undefined,
        {},
        (whole + 15) * 1000,
      );
    },
    operations: (query: { distribution?: string; limit?: number } = {}) => {
      const params = new URLSearchParams();
      if (query.distribution) params.set("distribution", query.distribution);
      if (query.limit) params.set("limit", String(query.limit));
      return call<{ operations: OperationStatus[] }>("GET", `/api/v1/operations?${params}`);
    },
    distribution: (name: string) =>
      call<DistributionStatus>("GET", `/api/v1/distributions/${encodeURIComponent(name)}`),
    stats: (name: string, window?: string) =>
      call<DistributionStats>(
        "GET",
        `/api/v1/distributions/${encodeURIComponent(name)}/stats${window ? `?window=${encodeURIComponent(window)}` : ""}`,
      ),
    accessLogs: (name: string, query: AccessLogQuery = {}) => {
      const params = new URLSearchParams(
        Object.entries(query).flatMap(([k, v]): [string, string][] =>
          v === undefined ? [] : [[k, String(v)]],
        ),
      );
      return call<AccessLogs>(
        "GET",
        `/api/v1/distributions/${encodeURIComponent(name)}/logs${params.size > 0 ? `?${params}` : ""}`,
      );
    },
    pending: () => call<{ pending: OperationStatus[] }>("GET", "/api/v1/approvals"),
    tenants: (name: string) =>
      call<DistributionTenants>("GET", `/api/v1/distributions/${encodeURIComponent(name)}/tenants`),
    keyValueKeys: (store: string, prefix: string) =>
      call<KeyValueKeys>(
        "GET",
        `/api/v1/key-value-stores/${encodeURIComponent(store)}/keys${prefix ? `?prefix=${encodeURIComponent(prefix)}` : ""}`,
      ),
  };
}

export type ApiClient = ReturnType<typeof createApiClient>;

/** Why a call got no answer, in a few words. */
function connectionProblem(error: unknown): string {
  if ((error as Error).name === "TimeoutError") return "no answer in time";
  // fetch's own error says only "fetch failed"; the socket's reason is its cause.
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return `could not connect (${cause?.code ?? cause?.message ?? `${(error as Error).name}: ${(error as Error).message}`})`;
}

/** An answer's JSON; a 5xx or a body that is not JSON is worth another try; a 4xx is final. */
async function readAnswer(res: Response): Promise<{ status: number; body: unknown } | { retry: string }> {
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : {};
  } catch {
    parsed = undefined;
  }
  if (res.status >= 500 || parsed === undefined) return { retry: `answered ${res.status}` };
  if (res.status >= 400) {
    const error = (parsed as { error?: { code?: string; message?: string } }).error;
    throw new ApiAnswerError(
      res.status,
      error?.code ?? "unknown",
      error?.message ?? `answered ${res.status}`,
    );
  }
  return { status: res.status, body: parsed };
}

/**
 * Waits until the operation is final or `deadline` (epoch ms) passes, asking the server to wait
 * for up to a minute at a time; the last state seen either way.
 */
export async function waitUntilFinal(
  client: ApiClient,
  id: string,
  deadline: number,
  now: () => number = Date.now,
): Promise<OperationStatus> {
  for (;;) {
    const left = Math.max(0, (deadline - now()) / 1000);
    const { body } = await client.waitFor(id, Math.min(60, left));
    if (body.final || now() >= deadline) return body;
  }
}
