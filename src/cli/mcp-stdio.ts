import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { createMcpServer, type McpBackend } from "../mcp/mcp-server.js";
import type { ApiClient } from "./api-client.js";

/** The tools, done by a cdnbot over its HTTP API, as the client whose token the process holds. */
function httpBackend(client: ApiClient): McpBackend {
  return {
    purge: async (input, key) => (await client.purge(input, key)).body,
    change: async (input, key) => (await client.change(input, key)).body,
    decideStaged: async (id, kind, reason) => (await client.decideStaged(id, kind, reason)).body,
    createEnvironment: async (input, key) => (await client.createEnvironment(input, key)).body,
    deleteEnvironment: async (name, key) => (await client.deleteEnvironment(name, key)).body,
    operation: async (id) => (await client.operation(id)).body,
    waitFor: async (id, seconds) => (await client.waitFor(id, seconds)).body,
    pending: async () => (await client.pending()).body.pending,
    distribution: async (name) => (await client.distribution(name)).body,
    stats: async (name, window) => (await client.stats(name, window)).body,
    accessLogs: async (name, query) => (await client.accessLogs(name, query)).body,
    tenants: async (name) => (await client.tenants(name)).body,
    keyValueKeys: async (store, prefix) => (await client.keyValueKeys(store, prefix)).body,
  };
}

/**
 * `npx cdnbot mcp`: the MCP server over stdio, for an agent that starts it as a process (its MCP
 * client configuration names the command and CDNBOT_URL, CDNBOT_TOKEN). Runs until stdin closes.
 */
export async function serveMcpOverStdio(client: ApiClient): Promise<void> {
  const server = createMcpServer(httpBackend(client));
  const transport = new StdioServerTransport();
  const closed = new Promise<void>((resolve) => {
    transport.onclose = () => resolve();
    process.stdin.once("end", () => resolve());
  });
  await server.connect(transport);
  await closed;
  await server.close();
}
