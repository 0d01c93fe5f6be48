import { createHash } from "node:crypto";

const ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
/** How many ids a key may land on before it gives up (each a 1-in-a-billion clash with another). */
const CANDIDATES = 4;

/**
 * The ids a client's request with this Idempotency-Key may take, in order. A retry walks the same
 * list and finds its first attempt's record (its `origin` names the client and key); an id taken by
 * another request is passed over. They look like every request id (`R` and six characters), so
 * people can `/cdn cancel` them in Slack like any other.
 */
export function idempotentIds(client: string, key: string): string[] {
  return Array.from({ length: CANDIDATES }, (_, attempt) => {
    const digest = createHash("sha256").update(`${client}\n${key}\n${attempt}`).digest();
    return `R${Array.from(digest.subarray(0, 6), (byte) => ALPHABET[byte % ALPHABET.length]).join("")}`;
  });
}

/** What a request asked for, reduced to a hash: the same key with a different request is refused. */
export function fingerprintOf(request: unknown): string {
  return createHash("sha256").update(JSON.stringify(request)).digest("hex").slice(0, 32);
}

/** Idempotency-Key: 1–255 visible ASCII characters, as the IETF draft and most APIs allow. */
export function validIdempotencyKey(key: string): boolean {
  return /^[\x21-\x7e]{1,255}$/.test(key);
}
