import type { Actor } from "./records.js";

/**
 * Who asked. People are Slack user ids (`U…`, `W…`); clients of the HTTP API and the MCP server
 * (pipelines, agents) are `<kind>:<name>`, which no Slack id can be. One actor type, so policy, the
 * audit log and every workflow treat a pipeline exactly as a person.
 */
export type ClientKind = "pipeline" | "agent";

export function clientActor(kind: ClientKind, name: string): Actor {
  return { userId: `${kind}:${name}`, teamId: "api" };
}

/** The client behind an actor id, or undefined for a person. */
export function clientOf(userId: string): { kind: ClientKind; name: string } | undefined {
  const match = /^(pipeline|agent):(.+)$/.exec(userId);
  return match ? { kind: match[1] as ClientKind, name: match[2]! } : undefined;
}

/**
 * Whether a person may act on what this requester asked (decide, withdraw, see it pending): people
 * of the same workspace; a client's request belongs to the workspace the bot serves.
 */
export function sameWorkspace(requester: Actor, actor: Actor): boolean {
  return requester.teamId === actor.teamId || clientOf(requester.userId) !== undefined;
}
