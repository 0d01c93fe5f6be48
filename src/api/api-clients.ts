import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { ApiAction, ApiClientConfig, CdnbotConfig } from "../config/config-schema.js";
import type { DistributionDirectory } from "../directory/distribution-directory.js";
import { type ClientKind, clientActor } from "../store/actors.js";
import type { Actor } from "../store/records.js";

/** An authenticated client of the API: its name, what it is, and what it may do. */
export type ApiCaller = { name: string; kind: ClientKind; actor: Actor; config: ApiClientConfig };

/** A new token: 256 random bits. Shown once; only its hash goes in the config. */
export function mintToken(): string {
  return `cdnbot_${randomBytes(32).toString("base64url")}`;
}

export function hashToken(token: string): string {
  return `sha256:${createHash("sha256").update(token, "utf8").digest("hex")}`;
}

/**
 * The client whose token this is, comparing hashes in constant time against every client (so the
 * time taken says nothing about which one, or how much of a hash, matched).
 */
export function callerForToken(config: CdnbotConfig, token: string): ApiCaller | undefined {
  const presented = Buffer.from(hashToken(token));
  let found: ApiCaller | undefined;
  for (const [name, client] of Object.entries(config.api?.clients ?? {})) {
    const expected = Buffer.from(client.tokenHash);
    if (expected.length === presented.length && timingSafeEqual(expected, presented))
      found = { name, kind: client.kind, actor: clientActor(client.kind, name), config: client };
  }
  return found;
}

/** What a request without a client's token is told, and the challenge that goes with it. */
export const UNAUTHENTICATED = {
  message: "Send a client's token as `Authorization: Bearer <token>`.",
  challenge: 'Bearer realm="cdnbot"',
};

/** The client an `Authorization: Bearer <token>` header names, for the HTTP API and MCP alike. */
export function callerForAuthorization(
  config: CdnbotConfig,
  header: string | undefined,
): ApiCaller | undefined {
  const token = /^Bearer\s+(\S+)$/i.exec(header ?? "")?.[1];
  return token ? callerForToken(config, token) : undefined;
}

/**
 * Whether the client may read (and, with `action`, ask for that on) this distribution. A template
 * in its list covers the environments made from it (`template`: the one this alias was made from).
 */
export function mayUse(caller: ApiCaller, alias: string, action?: ApiAction, template?: string): boolean {
  const distributions = caller.config.distributions;
  const inScope =
    distributions.includes("*") ||
    distributions.includes(alias) ||
    (template !== undefined && distributions.includes(template));
  return inScope && (action === undefined || caller.config.actions.includes(action));
}

/** The distributions the client may read (environments included). */
export function distributionsFor(caller: ApiCaller, directory: DistributionDirectory) {
  return directory.list().filter((d) => mayUse(caller, d.alias, undefined, d.template));
}
