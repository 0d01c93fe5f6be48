import { z } from "zod";
import { WINDOW_LABELS } from "../metrics/metric-window.js";
import { API_ERROR_CODES } from "./api-errors.js";
import { changeBodySchema, environmentBodySchema, MAX_WAIT_SECONDS, purgeBodySchema } from "./api-service.js";
import { OPERATION_STATES } from "./operation-status.js";

const json = (schema: object) => ({ content: { "application/json": { schema } } });
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

const errorResponse = (description: string) => ({ description, ...json(ref("Error")) });

/** A request that makes an operation: its body, its Idempotency-Key, and the answers it gets. */
function writeOperation(op: {
  summary: string;
  body: z.ZodType;
  idempotency: string;
  accepted: string;
  refused: string;
}) {
  return {
    post: {
      summary: op.summary,
      parameters: [
        {
          name: "Idempotency-Key",
          in: "header",
          required: false,
          description: op.idempotency,
          schema: { type: "string", minLength: 1, maxLength: 255 },
        },
      ],
      requestBody: { required: true, ...json(z.toJSONSchema(op.body)) },
      responses: {
        "202": { description: op.accepted, ...json(ref("Operation")) },
        "200": {
          description: "A retry of an earlier request with the same Idempotency-Key",
          ...json(ref("Operation")),
        },
        "400": errorResponse("invalid_request"),
        "401": errorResponse("unauthenticated"),
        "403": errorResponse("forbidden"),
        "404": errorResponse("not_found"),
        "422": errorResponse(op.refused),
      },
    },
  };
}

/** The OpenAPI 3.1 description of `/api/v1`, served at `/api/v1/openapi.json`. */
export function openApiDocument() {
  const operationParam = { name: "id", in: "path", required: true, schema: { type: "string" } };
  return {
    openapi: "3.1.0",
    info: {
      title: "cdnbot API",
      version: "1",
      description:
        "Purges and status for pipelines and agents, under the same policy, approvals and audit log as people in Slack. A request that needs approval waits for a person to approve it in Slack; no client can approve.",
    },
    security: [{ bearer: [] }],
    paths: {
      "/api/v1/purges": writeOperation({
        summary: "Request a purge (an invalidation) of paths on a distribution",
        body: purgeBodySchema,
        idempotency:
          "Retries with the same key and body return the first attempt's operation (200, `Idempotent-Replayed: true`) and never purge twice; the same key with another body is refused.",
        accepted: "Accepted: running, or waiting for approval in Slack",
        refused: "refused, no_channel or idempotency_key_reused",
      }),
      "/api/v1/changes": writeOperation({
        summary:
          "Request a change to a distribution (TTLs, origin, geo restriction, enabled, access logging…), previewed against its live config; by default it waits for approval in Slack",
        body: changeBodySchema,
        idempotency: "As for purges: a retry returns the first attempt's operation, never a second change.",
        accepted: "Accepted: being written, or waiting for approval in Slack",
        refused: "refused (e.g. nothing to change), no_channel or idempotency_key_reused",
      }),
      "/api/v1/environments": {
        ...writeOperation({
          summary:
            "Create an environment distribution from a template (a copy of a distribution with this origin and alias); by default it waits for approval in Slack, then is followed to Deployed. Wait on the operation: it ends `ready`",
          body: environmentBodySchema,
          idempotency: "A retry returns the first attempt's operation, never a second distribution.",
          accepted: "Accepted: being created, or waiting for approval in Slack",
          refused:
            "refused (name taken, too many environments, the account's quota of distributions reached…)",
        }),
        get: {
          summary: "The environments (from the templates this client may use) and their state",
          responses: { "200": { description: "`{ environments: [...] }`" } },
        },
      },
      "/api/v1/environments/{name}": {
        delete: {
          summary:
            "Delete an environment: disabled, then deleted once that is Deployed; by default it waits for approval in Slack. Wait on the operation: it ends `deleted`",
          parameters: [
            { name: "name", in: "path", required: true, schema: { type: "string" } },
            { name: "Idempotency-Key", in: "header", required: false, schema: { type: "string" } },
          ],
          responses: {
            "202": { description: "Accepted", ...json(ref("Operation")) },
            "403": errorResponse("forbidden"),
            "404": errorResponse("not_found"),
            "422": errorResponse("refused"),
          },
        },
      },
      "/api/v1/operations": {
        get: {
          summary: "The newest operations on the distributions this client may read",
          parameters: [
            { name: "distribution", in: "query", schema: { type: "string" } },
            {
              name: "limit",
              in: "query",
              schema: { type: "integer", minimum: 1, maximum: 100, default: 20 },
            },
          ],
          responses: {
            "200": {
              description: "Newest first",
              ...json({
                type: "object",
                properties: { operations: { type: "array", items: ref("Operation") } },
              }),
            },
          },
        },
      },
      "/api/v1/operations/{id}": {
        get: {
          summary: "An operation's state",
          parameters: [operationParam],
          responses: {
            "200": { description: "Its state", ...json(ref("Operation")) },
            "404": errorResponse("not_found"),
          },
        },
      },
      "/api/v1/operations/{id}/wait": {
        get: {
          summary: "Wait until the operation is final, or the timeout passes; ask again to wait longer",
          parameters: [
            operationParam,
            {
              name: "timeout",
              in: "query",
              description: "Seconds",
              schema: { type: "integer", minimum: 0, maximum: MAX_WAIT_SECONDS, default: 30 },
            },
          ],
          responses: {
            "200": { description: "Its state (`final` says whether it is over)", ...json(ref("Operation")) },
            "404": errorResponse("not_found"),
          },
        },
      },
      "/api/v1/distributions/{name}/stats": {
        get: {
          summary: "CloudWatch metrics of a distribution for a window, against the window before",
          parameters: [
            { name: "name", in: "path", required: true, schema: { type: "string" } },
            { name: "window", in: "query", schema: { enum: WINDOW_LABELS, default: "1h" } },
          ],
          responses: {
            "200": { description: "Per metric: current, previous, changePercent" },
            "404": errorResponse("not_found"),
          },
        },
      },
      "/api/v1/approvals": {
        get: {
          summary:
            "The requests waiting for a person's approval in Slack, on the distributions this client may read",
          responses: {
            "200": {
              description: "Oldest first",
              ...json({
                type: "object",
                properties: { pending: { type: "array", items: ref("Operation") } },
              }),
            },
          },
        },
      },
      "/api/v1/distributions/{name}": {
        get: {
          summary: "A distribution as CloudFront describes it now, and its recent invalidations",
          parameters: [{ name: "name", in: "path", required: true, schema: { type: "string" } }],
          responses: { "200": { description: "Its status" }, "404": errorResponse("not_found") },
        },
      },
    },
    components: {
      securitySchemes: {
        bearer: {
          type: "http",
          scheme: "bearer",
          description: "A client's token, from `npm run api-token`.",
        },
      },
      schemas: {
        Operation: {
          type: "object",
          required: [
            "id",
            "kind",
            "distribution",
            "distributionId",
            "state",
            "final",
            "requestedBy",
            "requestedAt",
          ],
          properties: {
            id: { type: "string" },
            kind: { enum: ["purge", "change", "environment"] },
            distribution: { type: "string" },
            distributionId: { type: "string" },
            state: { enum: [...OPERATION_STATES] },
            final: { type: "boolean" },
            requestedBy: {
              type: "string",
              description: "A Slack user id, or `pipeline:<name>` / `agent:<name>`",
            },
            requestedAt: { type: "string", format: "date-time" },
            finishedAt: { type: "string", format: "date-time" },
            paths: { type: "array", items: { type: "string" } },
            invalidationId: { type: "string" },
            change: { type: "string" },
            environment: {
              type: "object",
              properties: {
                action: { enum: ["create", "delete"] },
                name: { type: "string" },
                template: { type: "string" },
                origin: { type: "string" },
                alias: { type: "string" },
                domainName: { type: "string" },
              },
            },
            approval: {
              type: "object",
              properties: {
                state: { enum: ["pending", "approved", "rejected", "expired", "cancelled"] },
                required: { type: "integer" },
                given: { type: "integer" },
                expiresAt: { type: "string", format: "date-time" },
                askedOf: { type: "string" },
              },
            },
            thread: { type: "object", properties: { channel: { type: "string" }, ts: { type: "string" } } },
            error: { type: "string" },
            reason: { type: "string" },
          },
        },
        Error: {
          type: "object",
          required: ["error"],
          properties: {
            error: {
              type: "object",
              required: ["code", "message"],
              properties: {
                code: {
                  enum: Object.keys(API_ERROR_CODES),
                  description: Object.entries(API_ERROR_CODES)
                    .map(([code, meaning]) => `${code}: ${meaning}`)
                    .join(" "),
                },
                message: { type: "string" },
              },
            },
          },
        },
      },
    },
  };
}
