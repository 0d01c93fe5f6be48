import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import {
  CachePolicy$,
  CachePolicyConfig$,
  CachePolicyList$,
  CloudFrontClient,
  DistributionIdList$,
  GetDistributionConfigCommand,
  Invalidation$,
  type InvalidationBatch,
  InvalidationList$,
  ListDistributionsCommand,
  ResponseHeadersPolicy$,
  ResponseHeadersPolicyConfig$,
  ResponseHeadersPolicyList$,
} from "@aws-sdk/client-cloudfront";
import { XmlShapeDeserializer, XmlShapeSerializer } from "@aws-sdk/core/protocols";
import { PAYLOADS, type PayloadName } from "../../src/aws/cloudfront-service-model.js";
import { refuseMalformed } from "../../src/sandbox/simulated-aws-errors.js";
import {
  type Invalidation as ModelInvalidation,
  SimulatedInvalidations,
} from "../../src/sandbox/simulated-invalidations.js";
import {
  CACHE_POLICIES,
  cachePolicyConfig,
  MANAGED_CACHE_POLICIES,
  MANAGED_HEADERS_POLICIES,
  type Policy,
  RESPONSE_HEADERS_POLICIES,
  SimulatedPolicies,
} from "../../src/sandbox/simulated-policies.js";

/**
 * A thin layer in front of moto_server that makes CloudFront behave as AWS documents where moto is
 * lenient: CallerReference idempotency, invalidations that stay InProgress for a while and then say
 * `Completed`, quotas on paths in flight, ETags that change on every update and are checked with
 * If-Match, distributions that are InProgress while a change deploys, deletes only of disabled and
 * Deployed distributions, and injectable faults.
 */
export type StrictOptions = {
  invalidationCompletesAfterMs?: number;
  deployAfterMs?: number;
  maxFilePathsInFlight?: number;
  maxWildcardPathsInFlight?: number;
};

export type Fault = { status: number; code: string; message?: string; delayMs?: number };

export type StrictCloudFront = {
  url: string;
  counts(): Record<string, number>;
  resetCounts(): void;
  /** Every CloudFront call, in order; `agent` is the caller's app id (AWS_SDK_UA_APP_ID), if set. */
  requests: { operation: string; distributionId?: string; at: number; ifMatch?: string; agent?: string }[];
  invalidationsCreated(distributionId?: string): number;
  failNext(operation: string, fault: Fault, times?: number): void;
  /** Forwards the next `times` calls of this operation to moto at once but answers only after `ms`. */
  delayNextResponse(operation: string, ms: number, times?: number): void;
  /** Answers every delayed call still waiting at once, and delays nothing more. */
  stopDelaying(): void;
  holdInvalidations(hold: boolean): void;
  completeInvalidation(id: string): void;
  /** The ETag a client must send to update this distribution now. */
  currentETag(distributionId: string): string | undefined;
  /**
   * A cache policy, served by this layer (moto has none) as AWS's API reference documents them: an
   * ETag on every write, `PreconditionFailed` on a stale If-Match, managed ones read-only.
   */
  addCachePolicy(policy: { name: string; minTtl: number; defaultTtl: number; maxTtl: number }): string;
  /** The id of the response headers policy with this name, if there is one. */
  responseHeadersPolicyNamed(name: string): string | undefined;
  /** A response headers policy's config XML as it is now. */
  responseHeadersPolicyXml(id: string): string | undefined;
  /** A custom response headers policy (the managed SecurityHeadersPolicy is always there). */
  addResponseHeadersPolicy(policy: {
    name: string;
    hstsMaxAge: number;
    csp?: string;
    frameOption?: "DENY" | "SAMEORIGIN";
  }): string;
  /** The id of the custom cache policy with this name, if there is one. */
  cachePolicyNamed(name: string): string | undefined;
  /** A cache policy's TTLs as they are now. */
  cachePolicyTtls(id: string): { min: number; default: number; max: number } | undefined;
  /** Someone else (the console) edits a cache policy: a new ETag. */
  editCachePolicyElsewhere(id: string, ttls: { min?: number; default?: number; max?: number }): void;
  close(): Promise<void>;
};

const API = "/2020-05-31/";

/** The body each write the bot makes carries, checked against CloudFront's service model. */
const PAYLOAD_OF: Record<string, PayloadName> = {
  CreateInvalidation: "InvalidationBatch",
  CreateDistribution: "DistributionConfig",
  UpdateDistribution: "DistributionConfig",
  CreateCachePolicy: "CachePolicyConfig",
  UpdateCachePolicy: "CachePolicyConfig",
  CreateResponseHeadersPolicy: "ResponseHeadersPolicyConfig",
  UpdateResponseHeadersPolicy: "ResponseHeadersPolicyConfig",
};

/** The model's refusal (an error shaped as the SDK throws AWS's) as CloudFront answers it. */
function failAsModel(fail: (status: number, code: string, message: string) => void, error: unknown): void {
  const refused = error as Error & { $metadata?: { httpStatusCode?: number } };
  fail(refused.$metadata?.httpStatusCode ?? 400, refused.name, refused.message);
}

/** Writes an answer's body as CloudFront does, by the SDK's own schemas. */
function wireXml(schema: unknown, value: unknown): string {
  const serializer = new XmlShapeSerializer({
    serviceNamespace: "com.amazonaws.cloudfront",
    timestampFormat: { useTrait: true, default: 5 },
    xmlNamespace: "http://cloudfront.amazonaws.com/doc/2020-05-31/",
  });
  serializer.write(schema as never, value);
  return `<?xml version="1.0" encoding="UTF-8"?>${serializer.flush()}`;
}

/** Reads a request body as the SDK's own REST-XML protocol would, by the same schemas. */
const bodyDeserializer = new XmlShapeDeserializer({
  serviceNamespace: "com.amazonaws.cloudfront",
  timestampFormat: { useTrait: true, default: 5 },
  httpBindings: true,
  xmlNamespace: "http://cloudfront.amazonaws.com/doc/2020-05-31/",
});

export function classify(
  method: string,
  path: string,
): { operation: string; distributionId?: string; invalidationId?: string; policyId?: string } {
  const p = path.split("?")[0] ?? "";
  if (!p.startsWith(API)) return { operation: "Other" };
  const parts = p.slice(API.length).split("/").filter(Boolean);
  const [kind, id, sub, subId] = parts;
  if (kind === "cache-policy") {
    if (!id) return { operation: method === "POST" ? "CreateCachePolicy" : "ListCachePolicies" };
    if (sub === "config") return { operation: "GetCachePolicyConfig", policyId: id };
    return {
      operation:
        method === "PUT" ? "UpdateCachePolicy" : method === "DELETE" ? "DeleteCachePolicy" : "GetCachePolicy",
      policyId: id,
    };
  }
  if (kind === "response-headers-policy") {
    if (!id)
      return { operation: method === "POST" ? "CreateResponseHeadersPolicy" : "ListResponseHeadersPolicies" };
    if (sub === "config") return { operation: "GetResponseHeadersPolicyConfig", policyId: id };
    return {
      operation: method === "PUT" ? "UpdateResponseHeadersPolicy" : "GetResponseHeadersPolicy",
      policyId: id,
    };
  }
  if (kind === "distributionsByResponseHeadersPolicyId" && id)
    return { operation: "ListDistributionsByResponseHeadersPolicyId", policyId: id };
  if (kind === "distributionsByCachePolicyId" && id)
    return { operation: "ListDistributionsByCachePolicyId", policyId: id };
  if (kind !== "distribution") return { operation: `${method} ${kind ?? ""}` };
  if (!id) return { operation: method === "POST" ? "CreateDistribution" : "ListDistributions" };
  const withId = { distributionId: id };
  if (!sub) {
    if (method === "DELETE") return { operation: "DeleteDistribution", ...withId };
    return { operation: "GetDistribution", ...withId };
  }
  if (sub === "config")
    return { operation: method === "PUT" ? "UpdateDistribution" : "GetDistributionConfig", ...withId };
  if (sub === "invalidation") {
    if (subId) return { operation: "GetInvalidation", ...withId, invalidationId: subId };
    return { operation: method === "POST" ? "CreateInvalidation" : "ListInvalidations", ...withId };
  }
  return { operation: `${method} distribution/${sub}`, ...withId };
}

function xmlValues(xml: string, tag: string): string[] {
  return [...xml.matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, "g"))].map((m) => m[1] ?? "");
}

function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function errorXml(code: string, message: string, requestId: string): string {
  return `<?xml version="1.0"?><ErrorResponse xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function startStrictCloudFront(
  motoUrl: string,
  options: StrictOptions = {},
): Promise<StrictCloudFront> {
  const completesAfter = options.invalidationCompletesAfterMs ?? 1500;
  const deployAfter = options.deployAfterMs ?? 1500;
  const maxFiles = options.maxFilePathsInFlight ?? 3000;
  const maxWildcards = options.maxWildcardPathsInFlight ?? 15;

  // Reads moto's own view of a distribution, past this layer (it is not a call the bot made).
  const moto = new CloudFrontClient({
    endpoint: motoUrl,
    region: "us-east-1",
    credentials: { accessKeyId: "testing", secretAccessKey: "testing" },
  });
  const counts = new Map<string, number>();
  const requests: StrictCloudFront["requests"] = [];
  const faults = new Map<string, Fault[]>();
  const responseDelays = new Map<string, number[]>();
  const waiting = new Set<() => void>();
  // Invalidations are the sandbox's CloudFront model's (moto's complete at once and ignore
  // CallerReference): one simulation of CloudFront's documented behaviour for both.
  const invalidations = new SimulatedInvalidations(
    Date.now,
    () => completesAfter,
    () => `I${randomUUID().replace(/-/g, "").slice(0, 13).toUpperCase()}`,
    { quotas: { filePaths: maxFiles, wildcardPaths: maxWildcards } },
  );
  const etags = new Map<string, string>();
  const deployingUntil = new Map<string, number>();
  let etagCounter = 0;

  const newETag = () => `ESTRICT${String(++etagCounter).padStart(6, "0")}`;
  // Cache and response headers policies are the model's too (moto has none).
  const cachePolicies = new SimulatedPolicies(CACHE_POLICIES, MANAGED_CACHE_POLICIES, Date.now, newETag);
  const headersPolicies = new SimulatedPolicies(
    RESPONSE_HEADERS_POLICIES,
    MANAGED_HEADERS_POLICIES,
    Date.now,
    newETag,
  );
  const etagOf = (id: string) => {
    let etag = etags.get(id);
    if (!etag) {
      etag = newETag();
      etags.set(id, etag);
    }
    return etag;
  };
  const distributionStatus = (id: string) =>
    (deployingUntil.get(id) ?? 0) > Date.now() ? "InProgress" : "Deployed";

  function rewriteDistributionXml(xml: string, id: string): string {
    return xml.replace(/<Status>[^<]*<\/Status>/, `<Status>${distributionStatus(id)}</Status>`);
  }

  /**
   * Each summary as AWS gives it: the deploy status this layer keeps, and the Comment and Enabled
   * that AWS always includes (moto leaves them out).
   */
  async function rewriteDistributionList(xml: string): Promise<string> {
    const blocks = [...xml.matchAll(/<DistributionSummary>([\s\S]*?)<\/DistributionSummary>/g)];
    let out = xml;
    for (const [block, inner = ""] of blocks) {
      const id = xmlValues(inner, "Id")[0];
      if (!id) continue;
      let next = block.replace(/<Status>[^<]*<\/Status>/, `<Status>${distributionStatus(id)}</Status>`);
      const config = (await moto.send(new GetDistributionConfigCommand({ Id: id })).catch(() => undefined))
        ?.DistributionConfig;
      if (config && !/<Comment>/.test(inner))
        next = next.replace(
          "</DistributionSummary>",
          `<Comment>${escapeXml(config.Comment ?? "")}</Comment></DistributionSummary>`,
        );
      if (
        config &&
        !/<Enabled>/.test(
          inner.replace(/<(Logging|TrustedSigners|TrustedKeyGroups|OriginShield)>[\s\S]*?<\/\1>/g, ""),
        )
      )
        next = next.replace(
          "</DistributionSummary>",
          `<Enabled>${config.Enabled === true}</Enabled></DistributionSummary>`,
        );
      out = out.replace(block, next);
    }
    return out;
  }

  /** Which of moto's distributions use a cache policy on any behaviour, read from their configs. */
  async function distributionsUsing(
    policyId: string,
    field: "CachePolicyId" | "ResponseHeadersPolicyId" = "CachePolicyId",
  ): Promise<string[]> {
    const list = await moto.send(new ListDistributionsCommand({}));
    const ids: string[] = [];
    for (const item of list.DistributionList?.Items ?? []) {
      const config = (await moto.send(new GetDistributionConfigCommand({ Id: item.Id! }))).DistributionConfig;
      const behaviors = [config?.DefaultCacheBehavior, ...(config?.CacheBehaviors?.Items ?? [])];
      if (behaviors.some((b) => b?.[field] === policyId)) ids.push(item.Id!);
    }
    return ids;
  }

  /** How each kind of policy is stored and written on the wire. */
  const policyWire = {
    cache: {
      store: cachePolicies,
      policy$: CachePolicy$,
      config$: CachePolicyConfig$,
      list$: CachePolicyList$,
      field: "CachePolicyId",
      name: "CachePolicy",
      path: "cache-policy",
    },
    headers: {
      store: headersPolicies,
      policy$: ResponseHeadersPolicy$,
      config$: ResponseHeadersPolicyConfig$,
      list$: ResponseHeadersPolicyList$,
      field: "ResponseHeadersPolicyId",
      name: "ResponseHeadersPolicy",
      path: "response-headers-policy",
    },
  } as const;

  /** Every cache policy and response headers policy call, answered from the model. */
  async function answerPolicy(
    kind: keyof typeof policyWire,
    operation: string,
    policyId: string | undefined,
    parsed: unknown,
    ifMatch: string | string[] | undefined,
    url: string,
    send: (status: number, headers: Record<string, string>, text: string) => void,
    fail: (status: number, code: string, message: string) => void,
  ): Promise<void> {
    const wire = policyWire[kind];
    const xml = { "content-type": "text/xml" };
    const whole = (p: Policy<unknown>) => ({
      Id: p.id,
      LastModifiedTime: new Date(p.modifiedAt),
      [`${wire.name}Config`]: p.config,
    });
    try {
      if (operation === `Get${wire.name}Config`) {
        const p = wire.store.get(policyId ?? "");
        send(200, { ...xml, etag: p.etag }, wireXml(wire.config$, p.config));
      } else if (operation === `Get${wire.name}`) {
        const p = wire.store.get(policyId ?? "");
        send(200, { ...xml, etag: p.etag }, wireXml(wire.policy$, whole(p)));
      } else if (operation.startsWith("List") && operation.endsWith("Policies")) {
        const type = /[?&]Type=(managed|custom)/.exec(url)?.[1] as "managed" | "custom" | undefined;
        const items = wire.store
          .list(type)
          .map((p) => ({ Type: p.managed ? "managed" : "custom", [wire.name]: whole(p) }));
        send(200, xml, wireXml(wire.list$, { MaxItems: 100, Quantity: items.length, Items: items }));
      } else if (operation.startsWith("ListDistributionsBy")) {
        wire.store.get(policyId ?? "");
        const ids = await distributionsUsing(policyId ?? "", wire.field);
        const list = { Marker: "", MaxItems: 100, IsTruncated: false, Quantity: ids.length, Items: ids };
        send(200, xml, wireXml(DistributionIdList$, list));
      } else if (operation === `Update${wire.name}`) {
        // The body was read by this kind's own schema (PAYLOAD_OF): it is this kind's config.
        const config = parsed as never;
        const p = wire.store.update(
          policyId ?? "",
          config,
          typeof ifMatch === "string" ? ifMatch : undefined,
        );
        // Every distribution using the policy deploys the new settings.
        for (const id of await distributionsUsing(p.id, wire.field))
          deployingUntil.set(id, Date.now() + deployAfter);
        send(200, { ...xml, etag: p.etag }, wireXml(wire.policy$, whole(p)));
      } else if (operation === `Create${wire.name}`) {
        const p = wire.store.create(parsed as never);
        const location = `https://cloudfront.amazonaws.com/2020-05-31/${wire.path}/${p.id}`;
        send(201, { ...xml, etag: p.etag, location }, wireXml(wire.policy$, whole(p)));
      } else fail(400, "InvalidArgument", `${operation} is not served by the test bed.`);
    } catch (error) {
      failAsModel(fail, error);
    }
  }

  /**
   * Whether moto has this distribution in the caller's account (moto tells accounts apart by the
   * request's credentials): moto holds the distributions, the model their invalidations.
   */
  async function distributionExists(req: IncomingMessage, id: string): Promise<boolean> {
    const headers = new Headers();
    for (const name of ["authorization", "x-amz-date", "x-amz-security-token"]) {
      const value = req.headers[name];
      if (typeof value === "string") headers.set(name, value);
    }
    const res = await fetch(`${motoUrl}${API}distribution/${encodeURIComponent(id)}`, { headers });
    await res.arrayBuffer();
    return res.ok;
  }

  /** CreateInvalidation, GetInvalidation and ListInvalidations, answered from the model. */
  async function answerInvalidation(
    req: IncomingMessage,
    operation: string,
    distributionId: string | undefined,
    invalidationId: string | undefined,
    parsed: unknown,
    url: string,
    send: (status: number, headers: Record<string, string>, text: string) => void,
    fail: (status: number, code: string, message: string) => void,
  ): Promise<void> {
    if (!distributionId || !(await distributionExists(req, distributionId))) {
      fail(404, "NoSuchDistribution", "The specified distribution does not exist.");
      return;
    }
    const xml = { "content-type": "text/xml" };
    try {
      if (operation === "CreateInvalidation") {
        const batch = parsed as InvalidationBatch;
        // The service-model check has made sure both are there.
        const inv = invalidations.create(
          distributionId,
          batch.Paths?.Items ?? [],
          batch.CallerReference ?? "",
        );
        const location = `https://cloudfront.amazonaws.com/2020-05-31/distribution/${distributionId}/invalidation/${inv.id}`;
        send(201, { ...xml, location }, wireXml(Invalidation$, wireInvalidation(inv)));
      } else if (operation === "GetInvalidation" && invalidationId) {
        const inv = invalidations.find(distributionId, invalidationId);
        send(200, xml, wireXml(Invalidation$, wireInvalidation(inv)));
      } else {
        const maxItems = Number(/[?&]MaxItems=(\d+)/.exec(url)?.[1] ?? 100);
        const items = invalidations.newest(distributionId, maxItems).map((inv) => {
          const { Id, Status, CreateTime } = wireInvalidation(inv);
          return { Id, Status, CreateTime };
        });
        const list = {
          Marker: "",
          MaxItems: maxItems,
          IsTruncated: false,
          Quantity: items.length,
          Items: items,
        };
        send(200, xml, wireXml(InvalidationList$, list));
      }
    } catch (error) {
      failAsModel(fail, error);
    }
  }

  const wireInvalidation = (inv: ModelInvalidation) => ({
    Id: inv.id,
    Status: invalidations.isComplete(inv) ? "Completed" : "InProgress",
    CreateTime: new Date(inv.createdAt),
    InvalidationBatch: {
      Paths: { Quantity: inv.paths.length, Items: inv.paths },
      CallerReference: inv.callerReference,
    },
  });

  async function forward(req: IncomingMessage, body: Buffer) {
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) {
      if (v === undefined || k === "host" || k === "content-length" || k === "connection") continue;
      headers.set(k, Array.isArray(v) ? v.join(",") : v);
    }
    const res = await fetch(`${motoUrl}${req.url ?? "/"}`, {
      method: req.method ?? "GET",
      headers,
      ...(body.length > 0 && req.method !== "GET" && req.method !== "HEAD" ? { body } : {}),
    });
    const out: Record<string, string> = {};
    res.headers.forEach((value, key) => {
      if (!["content-length", "transfer-encoding", "connection", "content-encoding"].includes(key))
        out[key] = value;
    });
    return { status: res.status, headers: out, body: await res.text() };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const method = req.method ?? "GET";
    const { operation, distributionId, invalidationId, policyId } = classify(method, req.url ?? "/");
    const requestId = randomUUID();
    const delay = responseDelays.get(operation)?.shift();
    const send = (status: number, headers: Record<string, string>, text: string) => {
      const answer = () => {
        if (res.destroyed) return;
        res.writeHead(status, { ...headers, "x-amzn-requestid": requestId });
        res.end(text);
      };
      if (!delay) return answer();
      const release = () => {
        clearTimeout(timer);
        waiting.delete(release);
        answer();
      };
      const timer = setTimeout(release, delay);
      waiting.add(release);
    };
    const fail = (status: number, code: string, message: string) =>
      send(status, { "content-type": "text/xml" }, errorXml(code, message, requestId));

    if (operation === "Other") {
      const out = await forward(req, body);
      send(out.status, out.headers, out.body);
      return;
    }
    counts.set(operation, (counts.get(operation) ?? 0) + 1);
    const ifMatch = req.headers["if-match"];
    // The SDK puts the app id in its user agent as `app/<id>`: which replica made the call.
    const agent = /(?:^|\s)app\/([\w.-]+)/.exec(String(req.headers["user-agent"] ?? ""))?.[1];
    requests.push({
      operation,
      at: Date.now(),
      ...(agent ? { agent } : {}),
      ...(distributionId ? { distributionId } : {}),
      ...(typeof ifMatch === "string" ? { ifMatch } : {}),
    });

    const fault = faults.get(operation)?.shift();
    if (fault) {
      if (fault.delayMs) await new Promise((r) => setTimeout(r, fault.delayMs));
      fail(fault.status, fault.code, fault.message ?? fault.code);
      return;
    }

    // A body AWS would refuse against its service model is refused here too, whatever moto makes of it.
    const payload = PAYLOAD_OF[operation];
    const parsed: unknown = payload
      ? await bodyDeserializer.read(PAYLOADS[payload], new Uint8Array(body))
      : undefined;
    if (payload) {
      try {
        refuseMalformed(payload, parsed);
      } catch (error) {
        failAsModel(fail, error);
        return;
      }
    }

    const policyKind = operation.includes("ResponseHeadersPolic")
      ? "headers"
      : operation.includes("CachePolic")
        ? "cache"
        : undefined;
    if (policyKind) {
      await answerPolicy(policyKind, operation, policyId, parsed, ifMatch, req.url ?? "", send, fail);
      return;
    }

    if (operation.endsWith("Invalidation") || operation === "ListInvalidations") {
      await answerInvalidation(
        req,
        operation,
        distributionId,
        invalidationId,
        parsed,
        req.url ?? "",
        send,
        fail,
      );
      return;
    }

    if ((operation === "UpdateDistribution" || operation === "DeleteDistribution") && distributionId) {
      if (typeof ifMatch !== "string" || ifMatch === "") {
        fail(400, "InvalidIfMatchVersion", "The If-Match version is missing or not valid for the resource.");
        return;
      }
      if (ifMatch !== etagOf(distributionId)) {
        fail(
          412,
          "PreconditionFailed",
          "The precondition given in one or more of the request-header fields evaluated to false.",
        );
        return;
      }
    }

    if (operation === "DeleteDistribution" && distributionId) {
      // AWS deletes only a distribution that is disabled and Deployed; moto deletes any.
      const config = await moto
        .send(new GetDistributionConfigCommand({ Id: distributionId }))
        .catch(() => undefined);
      const enabled = config?.DistributionConfig?.Enabled;
      if (config && (enabled !== false || distributionStatus(distributionId) !== "Deployed")) {
        fail(
          409,
          "DistributionNotDisabled",
          "The distribution you are trying to delete has not been disabled.",
        );
        return;
      }
    }

    const out = await forward(req, body);
    if (out.status >= 300) {
      send(out.status, out.headers, out.body);
      return;
    }
    let text = out.body;
    switch (operation) {
      case "CreateDistribution": {
        const id = xmlValues(text, "Id")[0];
        if (id) {
          deployingUntil.set(id, Date.now() + deployAfter);
          out.headers.etag = etagOf(id);
          text = rewriteDistributionXml(text, id);
        }
        break;
      }
      case "UpdateDistribution":
        if (distributionId) {
          etags.set(distributionId, newETag());
          deployingUntil.set(distributionId, Date.now() + deployAfter);
          out.headers.etag = etagOf(distributionId);
          text = rewriteDistributionXml(text, distributionId);
        }
        break;
      case "GetDistribution":
        if (distributionId) {
          out.headers.etag = etagOf(distributionId);
          text = rewriteDistributionXml(text, distributionId);
        }
        break;
      case "GetDistributionConfig":
        if (distributionId) out.headers.etag = etagOf(distributionId);
        break;
      case "ListDistributions":
        text = await rewriteDistributionList(text);
        break;
    }
    send(out.status, out.headers, text);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      res.writeHead(502, { "content-type": "text/plain" });
      res.end(`strict layer error: ${String(error)}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    requests,
    counts: () => Object.fromEntries(counts),
    resetCounts() {
      counts.clear();
      requests.length = 0;
    },
    invalidationsCreated: (distributionId) =>
      invalidations.list.filter((i) => distributionId === undefined || i.distributionId === distributionId)
        .length,
    failNext(operation, fault, times = 1) {
      faults.set(operation, [
        ...(faults.get(operation) ?? []),
        ...Array.from({ length: times }, () => fault),
      ]);
    },
    delayNextResponse(operation, ms, times = 1) {
      responseDelays.set(operation, [
        ...(responseDelays.get(operation) ?? []),
        ...Array.from({ length: times }, () => ms),
      ]);
    },
    stopDelaying() {
      responseDelays.clear();
      for (const release of [...waiting]) release();
    },
    holdInvalidations: (hold) => invalidations.holdCompletion(hold),
    completeInvalidation: (id) => invalidations.completeNow(id),
    currentETag: (id) => etags.get(id),
    addCachePolicy: (policy) =>
      cachePolicies.create({
        Comment: "",
        ...cachePolicyConfig(policy.name, [policy.minTtl, policy.defaultTtl, policy.maxTtl]),
      }).id,
    responseHeadersPolicyXml: (id) => {
      const policy = headersPolicies.find(id);
      return policy && wireXml(ResponseHeadersPolicyConfig$, policy.config);
    },
    responseHeadersPolicyNamed: (name) => headersPolicies.named(name)?.id,
    addResponseHeadersPolicy: (policy) =>
      headersPolicies.create({
        Name: policy.name,
        Comment: "",
        SecurityHeadersConfig: {
          ...(policy.frameOption
            ? { FrameOptions: { Override: true, FrameOption: policy.frameOption } }
            : {}),
          ReferrerPolicy: { Override: false, ReferrerPolicy: "strict-origin-when-cross-origin" },
          ...(policy.csp
            ? { ContentSecurityPolicy: { Override: true, ContentSecurityPolicy: policy.csp } }
            : {}),
          ContentTypeOptions: { Override: true },
          StrictTransportSecurity: {
            Override: false,
            IncludeSubdomains: true,
            Preload: false,
            AccessControlMaxAgeSec: policy.hstsMaxAge,
          },
        },
      }).id,
    cachePolicyNamed: (name) => cachePolicies.named(name)?.id,
    cachePolicyTtls(id) {
      const config = cachePolicies.find(id)?.config;
      return config && { min: config.MinTTL ?? 0, default: config.DefaultTTL ?? 0, max: config.MaxTTL ?? 0 };
    },
    editCachePolicyElsewhere(id, ttls) {
      cachePolicies.editElsewhere(id, (config) => {
        if (ttls.min !== undefined) config.MinTTL = ttls.min;
        if (ttls.default !== undefined) config.DefaultTTL = ttls.default;
        if (ttls.max !== undefined) config.MaxTTL = ttls.max;
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
