import type { IncomingMessage, ServerResponse } from "node:http";
import type { CustomRoute } from "@slack/bolt";
import type { z } from "zod";
import { type ApiCaller, callerForAuthorization, UNAUTHENTICATED } from "../src/api/api-clients.js";
import type { ApiDeps } from "../src/api/api-context.js";
import { ApiError } from "../src/api/api-errors.js";
import {
  getAccessLogs,
  getDistribution,
  getEnvironments,
  getKeyValueKeys,
  getOperation,
  getStats,
  getTenants,
  listOperations,
  pendingApprovals,
  waitForOperation,
} from "../src/api/api-reads.js";
import { API_ROUTES, openApiDocument, type RouteSpec } from "../src/api/api-routes.js";
import type { AccessLogQuery } from "../src/api/api-schemas.js";
import {
  decideStagedChange,
  deleteEnvironment,
  submitChange,
  submitEnvironment,
  submitPurge,
} from "../src/api/api-service.js";

/** A purge of 3,000 long paths fits; anything bigger is not a request this API takes. */
const MAX_BODY_BYTES = 1_000_000;

type Request = IncomingMessage & { params?: Record<string, string> };

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

type Handlers = Record<
  string,
  (
    deps: ApiDeps,
    req: Request,
    caller: ApiCaller,
    query: Record<string, unknown>,
  ) => Promise<{ status: number; body: unknown; headers?: Record<string, string> }>
>;

/** What each route of `API_ROUTES` does, by its operationId. */
const HANDLERS: Handlers = {
  createPurge: async (deps, req, caller) =>
    accepted(await submitPurge(deps, caller, await readJson(req), idempotencyKeyOf(req))),
  createChange: async (deps, req, caller) =>
    accepted(await submitChange(deps, caller, await readJson(req), idempotencyKeyOf(req))),
  promoteChange: async (deps, req, caller) => ({
    status: 200,
    body: await decideStagedChange(deps, caller, param(req, "id"), "promote", await readJson(req)),
  }),
  abortChange: async (deps, req, caller) => ({
    status: 200,
    body: await decideStagedChange(deps, caller, param(req, "id"), "abort", await readJson(req)),
  }),
  createEnvironment: async (deps, req, caller) =>
    accepted(await submitEnvironment(deps, caller, await readJson(req), idempotencyKeyOf(req))),
  listEnvironments: async (deps, _req, caller) => ({
    status: 200,
    body: { environments: await getEnvironments(deps, caller) },
  }),
  deleteEnvironment: async (deps, req, caller) =>
    accepted(await deleteEnvironment(deps, caller, param(req, "name"), idempotencyKeyOf(req))),
  listOperations: async (deps, _req, caller, query) => {
    const distribution = query.distribution as string | undefined;
    const operations = await listOperations(deps, caller, {
      limit: query.limit as number,
      ...(distribution ? { distribution } : {}),
    });
    return { status: 200, body: { operations } };
  },
  getOperation: async (deps, req, caller) => ({
    status: 200,
    body: await getOperation(deps, caller, param(req, "id")),
  }),
  waitForOperation: async (deps, req, caller, query) => ({
    status: 200,
    body: await waitForOperation(deps, caller, param(req, "id"), query.timeout as number),
  }),
  listApprovals: async (deps, _req, caller) => ({
    status: 200,
    body: { pending: await pendingApprovals(deps, caller) },
  }),
  getDistributionStats: async (deps, req, caller, query) => ({
    status: 200,
    body: await getStats(deps, caller, param(req, "name"), query.window as string),
  }),
  getDistributionAccessLogs: async (deps, req, caller, query) => ({
    status: 200,
    body: await getAccessLogs(deps, caller, param(req, "name"), query as AccessLogQuery),
  }),
  getDistribution: async (deps, req, caller) => ({
    status: 200,
    body: await getDistribution(deps, caller, param(req, "name")),
  }),
  getDistributionTenants: async (deps, req, caller) => ({
    status: 200,
    body: await getTenants(deps, caller, param(req, "name")),
  }),
  getKeyValueStoreKeys: async (deps, req, caller, query) => ({
    status: 200,
    body: await getKeyValueKeys(deps, caller, param(req, "name"), query.prefix as string),
  }),
};

const param = (req: Request, name: string) => req.params?.[name] ?? "";

/** A query parsed by its route's schema; what does not fit is a 400 that names the parameter. */
function parseQuery(schema: z.ZodObject | undefined, url: URL): Record<string, unknown> {
  if (!schema) return {};
  const raw = Object.fromEntries(url.searchParams);
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  throw new ApiError(400, "invalid_request", `${issue.path.join(".") || "query"}: ${issue.message}`);
}

function sendError(res: ServerResponse, error: ApiError) {
  send(res, error.status, { error: { code: error.code, message: error.message } }, error.headers);
}

/**
 * The HTTP API for pipelines and agents, `/api/v1/…`, served beside Slack's endpoint (and on the
 * health port in Socket Mode). Thin: route by `API_ROUTES`, authenticate the bearer token, parse,
 * hand over to `src/api/`, answer JSON. Errors are `{ "error": { "code", "message" } }` with a
 * stable code, also for a path that does not exist (404) or a method it does not take (405).
 */
export function apiRoutes(depsOf: () => ApiDeps): CustomRoute[] {
  const serve = (spec: RouteSpec) => (req: IncomingMessage, res: ServerResponse) => {
    // Bound late: the routes are given to the receiver before the app they serve is built.
    const deps = depsOf();
    const started = deps.clock();
    const { method, path } = spec;
    let client: string | undefined;
    void (async () => {
      try {
        const caller = callerForAuthorization(deps.config, req.headers.authorization);
        if (!caller)
          throw new ApiError(401, "unauthenticated", UNAUTHENTICATED.message, {
            "www-authenticate": UNAUTHENTICATED.challenge,
          });
        client = caller.name;
        const url = new URL(req.url ?? "/", "http://cdnbot");
        const query = parseQuery(spec.query, url);
        const out = await HANDLERS[spec.operationId]!(deps, req as Request, caller, query);
        send(res, out.status, out.body, out.headers);
      } catch (error) {
        if (error instanceof ApiError) sendError(res, error);
        else {
          deps.logger.error("API request failed", { method, path, client, error });
          send(res, 500, { error: { code: "internal", message: "Something failed inside cdnbot; retry." } });
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
  };

  // One custom route per path, taking every method: a method the path does not take is a 405.
  const byPath = new Map<string, RouteSpec[]>();
  for (const spec of API_ROUTES) byPath.set(spec.path, [...(byPath.get(spec.path) ?? []), spec]);
  const ALL: ("GET" | "POST" | "PUT" | "PATCH" | "DELETE")[] = ["GET", "POST", "PUT", "PATCH", "DELETE"];
  const routes: CustomRoute[] = [
    {
      path: "/api/v1/openapi.json",
      method: ["GET"],
      handler: (_req, res) => send(res, 200, openApiDocument()),
    },
  ];
  for (const [path, specs] of byPath) {
    const allow = specs.map((s) => s.method).join(", ");
    routes.push({
      path: path.replace(/\{(\w+)\}/g, ":$1"),
      method: ALL,
      handler: (req, res) => {
        const spec = specs.find((s) => s.method === req.method);
        if (spec) serve(spec)(req, res);
        else
          sendError(
            res,
            new ApiError(405, "invalid_request", `${path} takes ${allow}, not ${req.method}.`, { allow }),
          );
      },
    });
  }
  // Last: anything else under /api/ is a path the API does not have.
  routes.push({
    path: "/api/*rest",
    method: ALL,
    handler: (req, res) => {
      const path = new URL(req.url ?? "/", "http://cdnbot").pathname;
      sendError(
        res,
        new ApiError(404, "not_found", `There is no ${path} in this API; GET /api/v1/openapi.json lists it.`),
      );
    },
  });
  return routes;
}
