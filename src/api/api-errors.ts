/**
 * An API error: the HTTP status, a stable code a client can branch on, and a sentence for a person.
 * The codes are part of the API (the OpenAPI document lists them); the sentences may change.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: ApiErrorCode,
    message: string,
    /** Headers the answer carries (`Retry-After` on a 429). */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = "ApiError";
  }
}

export const API_ERROR_CODES = {
  invalid_request: "The body, a parameter or a header is malformed; the message says which.",
  unauthenticated: "No token, or one that belongs to no client.",
  forbidden: "The token's client may not use this distribution, or not for this action.",
  not_found: "No such distribution or operation (or it is past retention).",
  idempotency_key_reused: "This Idempotency-Key was used before for a different request.",
  refused: "The request is valid but cdnbot refuses it (policy, quota, path); nothing was done.",
  no_channel: "The distribution has no Slack channel in the config for API requests' threads.",
  slack_unavailable: "Slack could not take the request's thread; nothing was sent to AWS. Retry.",
  internal: "Something failed inside cdnbot; the log has the details. Retry with the same key.",
} as const;
export type ApiErrorCode = keyof typeof API_ERROR_CODES;
