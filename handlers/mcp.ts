import type { IncomingMessage, ServerResponse } from "node:http";
import type { CustomRoute } from "@slack/bolt";
import { type ApiCaller, callerForAuthorization, UNAUTHENTICATED } from "../src/api/api-clients.js";
import type { ApiDeps } from "../src/api/api-context.js";
import {
  getAccessLogs,
  getDistribution,
  getKeyValueKeys,
  getOperation,
  getStats,
  getTenants,
  pendingApprovals,
  waitForOperation,
} from "../src/api/api-reads.js";
import {
  decideStagedChange,
  deleteEnvironment,
  submitChange,
  submitEnvironment,
  submitPurge,
} from "../src/api/api-service.js";
import type { McpBackend } from "../src/mcp/mcp-server.js";

/**
 * The MCP SDK and its server, loaded with the first MCP request: they are a fifth of start-up
 * (hono, ajv and their schemas), and most workspaces never use them.
 */
let mcpModules:
  | Promise<
      [
        typeof import("@modelcontextprotocol/sdk/server/streamableHttp.js"),
        typeof import("../src/mcp/mcp-server.js"),
      ]
    >
  | undefined;
const loadMcp = () => {
  mcpModules ??= Promise.all([
    import("@modelcontextprotocol/sdk/server/streamableHttp.js"),
    import("../src/mcp/mcp-server.js"),
  ]);
  return mcpModules;
};

/** The tools, done by the API service in this process, as this client. */
function inProcessBackend(deps: ApiDeps, caller: ApiCaller): McpBackend {
  return {
    purge: async (input, key) => (await submitPurge(deps, caller, input, key)).operation,
    change: async (input, key) => (await submitChange(deps, caller, input, key)).operation,
    decideStaged: (id, kind, reason) => decideStagedChange(deps, caller, id, kind, reason ? { reason } : {}),
    createEnvironment: async (input, key) => (await submitEnvironment(deps, caller, input, key)).operation,
    deleteEnvironment: async (name, key) => (await deleteEnvironment(deps, caller, name, key)).operation,
    operation: (id) => getOperation(deps, caller, id),
    waitFor: (id, seconds) => waitForOperation(deps, caller, id, seconds),
    pending: () => pendingApprovals(deps, caller),
    distribution: (name) => getDistribution(deps, caller, name),
    stats: (name, window) => getStats(deps, caller, name, window),
    accessLogs: (name, query) => getAccessLogs(deps, caller, name, query),
    tenants: (name) => getTenants(deps, caller, name),
    keyValueKeys: (store, prefix) => getKeyValueKeys(deps, caller, store, prefix),
  };
}

function refuse(res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}) {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify({ jsonrpc: "2.0", error: { code: -32000, message }, id: null }));
}

/**
 * `POST /mcp`: the MCP server over streamable HTTP, stateless (a server per request, so any replica
 * answers any call), for agents that reach the bot over the network. Authenticated with the same
 * bearer tokens as the HTTP API.
 */
export function mcpRoutes(depsOf: () => ApiDeps): CustomRoute[] {
  const post = (req: IncomingMessage, res: ServerResponse) => {
    const deps = depsOf();
    // The MCP spec: a streamable-HTTP server must check Origin, so a web page a person happens to
    // have open cannot drive it (DNS rebinding). Agents send none; a browser always does.
    const origin = req.headers.origin;
    if (origin !== undefined && !(deps.config.api?.mcp?.allowedOrigins ?? []).includes(origin)) {
      refuse(res, 403, `Origin ${origin} may not use this MCP server (api.mcp.allowedOrigins).`);
      return;
    }
    const caller = callerForAuthorization(deps.config, req.headers.authorization);
    if (!caller) {
      refuse(res, 401, UNAUTHENTICATED.message, { "www-authenticate": UNAUTHENTICATED.challenge });
      return;
    }
    void (async () => {
      try {
        const [{ StreamableHTTPServerTransport }, { createMcpServer }] = await loadMcp();
        const server = createMcpServer(inProcessBackend(deps, caller));
        const transport = new StreamableHTTPServerTransport({
          sessionIdGenerator: undefined,
          enableJsonResponse: true,
        });
        res.on("close", () => {
          void transport.close();
          void server.close();
        });
        await server.connect(transport);
        await transport.handleRequest(req, res);
        deps.logger.info("MCP request", { client: caller.name, status: res.statusCode });
      } catch (error) {
        deps.logger.error("MCP request failed", { client: caller.name, error });
        if (!res.headersSent) refuse(res, 500, "Something failed inside cdnbot; retry.");
      }
    })();
  };
  return [
    {
      path: "/mcp",
      method: ["POST", "GET", "DELETE"],
      handler: (req, res) =>
        req.method === "POST"
          ? post(req, res)
          : refuse(res, 405, "This MCP server is stateless: POST only.", { allow: "POST" }),
    },
  ];
}
