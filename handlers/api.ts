import type { IncomingMessage, ServerResponse } from "node:http";
import type { CustomRoute } from "@slack/bolt";
import { type ApiCaller, callerForAuthorization, UNAUTHENTICATED } from "../src/api/api-clients.js";
import { ApiError } from "../src/api/api-errors.js";
import {
  type ApiDeps,
  deleteEnvironment,
  getDistribution,
  getEnvironments,
  getOperation,
  getStats,
  listOperations,
  pendingApprovals,
  submitChange,
  submitEnvironment,
  submitPurge,
  waitForOperation,
} from "../src/api/api-service.js";
import { openApiDocument } from "../src/api/openapi.js";

/** A purge of 3,000 long paths fits; anything bigger is not a request this API takes. */
const MAX_BODY_BYTES = 1_000_000;

type Request = IncomingMessage & { params?: Record<string, string> };
type Handler = (
  deps: ApiDeps,
  req: Request,
  caller: ApiCaller,
  url: URL,
) => Promise<{ status: number; body: unknown; headers?: Record<string, string> }>;

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "cache-control": "no-store",
    ...headers,
  });
  res.end(JSON.stringify(body));
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  if (!/^application\/json\b/i.test(req.headers["content-type"] ?? ""))
    throw new ApiError(400, "invalid_request", "Send the body as JSON (Content-Type: application/json).");
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new ApiError(400, "invalid_request", "The body is larger than 1 MB.");
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    throw new ApiError(400, "invalid_request", "The body is not valid JSON.");
  }
}

/** 202 for a new operation, 200 for a retry's answer; where to follow it either way. */
function accepted(out: { replayed: boolean; operation: { id: string } }) {
  return {
    status: out.replayed ? 200 : 202,
    body: out.operation,
    headers: {
      location: `/api/v1/operations/${out.operation.id}`,
      ...(out.replayed ? { "idempotent-replayed": "true" } : {}),
    },
  };
}

/** The Idempotency-Key header (the first, if sent twice). */
function idempotencyKeyOf(req: IncomingMessage): string | undefined {
  const key = req.headers["idempotency-key"];
  return Array.isArray(key) ? key[0] : key;
}

/**
 * The HTTP API for pipelines and agents, `/api/v1/…`, served beside Slack's endpoint (and on the
 * health port in Socket Mode). Thin: authenticate the bearer token, parse, hand over to
 * `src/api/`, answer JSON. Errors are `{ "error": { "code", "message" } }` with a stable code.
 */
export function apiRoutes(depsOf: () => ApiDeps): CustomRoute[] {
  const route = (method: "GET" | "POST" | "DELETE", path: string, handler: Handler): CustomRoute => ({
    path,
    method: [method],
    handler: (req, res) => {
      // Bound late: the routes are given to the receiver before the app they serve is built.
      const deps = depsOf();
      const started = deps.clock();
      let client: string | undefined;
      void (async () => {
        try {
          const caller = callerForAuthorization(deps.config, req.headers.authorization);
          if (!caller) throw new ApiError(401, "unauthenticated", UNAUTHENTICATED.message);
          client = caller.name;
          const url = new URL(req.url ?? "/", "http://cdnbot");
          const out = await handler(deps, req as Request, caller, url);
          send(res, out.status, out.body, out.headers);
        } catch (error) {
          if (error instanceof ApiError) {
            send(
              res,
              error.status,
              { error: { code: error.code, message: error.message } },
              error.status === 401 ? { "www-authenticate": UNAUTHENTICATED.challenge } : {},
            );
          } else {
            deps.logger.error("API request failed", { method, path, client, error });
            send(res, 500, {
              error: { code: "internal", message: "Something failed inside cdnbot; retry." },
            });
          }
        } finally {
          deps.logger.info("API request", {
            method,
            path,
            client,
            status: res.statusCode,
            ms: deps.clock() - started,
          });
        }
      })();
    },
  });
  const param = (req: Request, name: string) => req.params?.[name] ?? "";

  return [
    {
      path: "/api/v1/openapi.json",
      method: ["GET"],
      handler: (_req, res) => send(res, 200, openApiDocument()),
    },
    route("POST", "/api/v1/purges", async (deps, req, caller) => {
      return accepted(await submitPurge(deps, caller, await readJson(req), idempotencyKeyOf(req)));
    }),
    route("POST", "/api/v1/changes", async (deps, req, caller) => {
      return accepted(await submitChange(deps, caller, await readJson(req), idempotencyKeyOf(req)));
    }),
    route("POST", "/api/v1/environments", async (deps, req, caller) => {
      return accepted(await submitEnvironment(deps, caller, await readJson(req), idempotencyKeyOf(req)));
    }),
    route("GET", "/api/v1/environments", async (deps, _req, caller) => ({
      status: 200,
      body: { environments: await getEnvironments(deps, caller) },
    })),
    route("DELETE", "/api/v1/environments/:name", async (deps, req, caller) => {
      return accepted(await deleteEnvironment(deps, caller, param(req, "name"), idempotencyKeyOf(req)));
    }),
    route("GET", "/api/v1/operations", async (deps, _req, caller, url) => {
      const limit = Number(url.searchParams.get("limit") ?? 20);
      if (!Number.isInteger(limit) || limit < 1 || limit > 100)
        throw new ApiError(400, "invalid_request", "limit: a whole number from 1 to 100.");
      const distribution = url.searchParams.get("distribution") ?? undefined;
      const operations = await listOperations(deps, caller, {
        limit,
        ...(distribution ? { distribution } : {}),
      });
      return { status: 200, body: { operations } };
    }),
    route("GET", "/api/v1/operations/:id", async (deps, req, caller) => ({
      status: 200,
      body: await getOperation(deps, caller, param(req, "id")),
    })),
    route("GET", "/api/v1/operations/:id/wait", async (deps, req, caller, url) => ({
      status: 200,
      body: await waitForOperation(
        deps,
        caller,
        param(req, "id"),
        Number(url.searchParams.get("timeout") ?? 30),
      ),
    })),
    route("GET", "/api/v1/approvals", async (deps, _req, caller) => ({
      status: 200,
      body: { pending: await pendingApprovals(deps, caller) },
    })),
    route("GET", "/api/v1/distributions/:name/stats", async (deps, req, caller, url) => ({
      status: 200,
      body: await getStats(deps, caller, param(req, "name"), url.searchParams.get("window") ?? undefined),
    })),
    route("GET", "/api/v1/distributions/:name", async (deps, req, caller) => ({
      status: 200,
      body: await getDistribution(deps, caller, param(req, "name")),
    })),
  ];
}
