import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import {
  AssociateDistributionTenantWebACLRequest$,
  AssociateDistributionTenantWebACLResult$,
  AssociateDistributionWebACLRequest$,
  AssociateDistributionWebACLResult$,
  CachePolicy$,
  CachePolicyConfig$,
  CachePolicyList$,
  ContinuousDeploymentPolicy$,
  ContinuousDeploymentPolicyConfig$,
  CopyDistributionRequest$,
  DisassociateDistributionTenantWebACLResult$,
  DisassociateDistributionWebACLResult$,
  Distribution$,
  type DistributionConfig,
  DistributionConfig$,
  DistributionIdList$,
  DistributionList$,
  DistributionTenant$,
  Invalidation$,
  type InvalidationBatch,
  InvalidationList$,
  ListDistributionTenantsRequest$,
  ListDistributionTenantsResult$,
  ResponseHeadersPolicy$,
  ResponseHeadersPolicyConfig$,
  ResponseHeadersPolicyList$,
  Tags$,
  type UpdateDistributionTenantRequest,
  UpdateDistributionTenantRequest$,
} from "@aws-sdk/client-cloudfront";
import { XmlShapeDeserializer, XmlShapeSerializer } from "@aws-sdk/core/protocols";
import { PAYLOADS, type PayloadName } from "../../src/aws/cloudfront-service-model.js";
import { awsError, refuseMalformed } from "../../src/sandbox/simulated-aws-errors.js";
import { SimulatedContinuousDeployment } from "../../src/sandbox/simulated-continuous-deployment.js";
import {
  type Distribution,
  type PolicyField,
  SimulatedDistributions,
} from "../../src/sandbox/simulated-distributions.js";
import {
  type Invalidation as ModelInvalidation,
  SimulatedInvalidations,
} from "../../src/sandbox/simulated-invalidations.js";
import { SimulatedKeyValueStores } from "../../src/sandbox/simulated-key-value-stores.js";
import {
  CACHE_POLICIES,
  cachePolicyConfig,
  MANAGED_CACHE_POLICIES,
  MANAGED_HEADERS_POLICIES,
  type Policy,
  RESPONSE_HEADERS_POLICIES,
  SimulatedPolicies,
} from "../../src/sandbox/simulated-policies.js";
import { SimulatedTenants, type Tenant } from "../../src/sandbox/simulated-tenants.js";

/**
 * CloudFront for the tests, as AWS documents it, from the sandbox's CloudFront model (one simulation
 * for the sandbox, the bench and the tests): distributions per AWS account (told apart by the
 * caller's credentials, as moto's STS issued them), CallerReference idempotency, invalidations that
 * stay InProgress for a while and then say `Completed`, quotas on paths in flight, ETags that change
 * on every write and are checked with If-Match, deploys that stay InProgress for a while, deletes
 * only of disabled and Deployed distributions, cache and response headers policies. Every request
 * body is read by the SDK's own schemas and checked against CloudFront's service model; every answer
 * is written by the same schemas. Faults can be injected. moto serves no CloudFront call.
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
  /** Carries out the next `times` calls of this operation at once but answers only after `ms`. */
  delayNextResponse(operation: string, ms: number, times?: number): void;
  /** Answers every delayed call still waiting at once, and delays nothing more. */
  stopDelaying(): void;
  holdInvalidations(hold: boolean): void;
  completeInvalidation(id: string): void;
  /** The ETag a client must send to update this distribution now. */
  currentETag(distributionId: string): string | undefined;
  /**
   * A CloudFront KeyValueStore served by this layer's data plane (moto has none): its ARN. Every call
   * must be signed with SigV4A for every region, as AWS's endpoint requires.
   */
  addKeyValueStore(items?: Record<string, string>): string;
  /** A store's keys and values as they are now. */
  keyValueItems(arn: string): Record<string, string>;
  /** Someone else (the console, a script) sets or deletes a key: the store gets a new ETag. */
  editKeyValueElsewhere(arn: string, key: string, value: string | undefined): void;
  /** Makes a distribution multi-tenant with these parameters for its tenants (as the console would). */
  defineTenantParameters(distributionId: string, parameters: { name: string; required?: boolean }[]): void;
  /** A tenant as the model holds it now. */
  tenant(id: string): Tenant | undefined;
  /** A tenant of a distribution (as if made in the console): its id. */
  addTenant(
    distributionId: string,
    tenant: { name: string; domains: string[]; parameters?: { name: string; value: string }[] },
  ): string;
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
const XML = { "content-type": "text/xml" };

/** One CloudFront call as the layer answers it: what was asked, by which account, and the reply. */
type Call = {
  operation: string;
  /** The caller's AWS account: distributions are each account's own. */
  account: string;
  distributionId?: string;
  invalidationId?: string;
  policyId?: string;
  tenantId?: string;
  /** The request body, read by the SDK's schema for this operation. */
  parsed: unknown;
  ifMatch?: string;
  url: string;
  send: (status: number, headers: Record<string, string>, text: string) => void;
  fail: (status: number, code: string, message: string) => void;
};

/** The body each write the bot makes carries, checked against CloudFront's service model. */
const PAYLOAD_OF: Record<string, PayloadName> = {
  CreateInvalidation: "InvalidationBatch",
  CreateInvalidationForDistributionTenant: "InvalidationBatch",
  CreateDistribution: "DistributionConfig",
  UpdateDistribution: "DistributionConfig",
  CreateCachePolicy: "CachePolicyConfig",
  UpdateCachePolicy: "CachePolicyConfig",
  CreateResponseHeadersPolicy: "ResponseHeadersPolicyConfig",
  UpdateResponseHeadersPolicy: "ResponseHeadersPolicyConfig",
  CreateContinuousDeploymentPolicy: "ContinuousDeploymentPolicyConfig",
  UpdateContinuousDeploymentPolicy: "ContinuousDeploymentPolicyConfig",
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
): {
  operation: string;
  distributionId?: string;
  invalidationId?: string;
  policyId?: string;
  tenantId?: string;
} {
  const p = path.split("?")[0] ?? "";
  const kvs = /^\/key-value-stores\/([^/]+)(\/keys(?:\/(.+))?)?$/.exec(p);
  if (kvs) {
    const [, , keys, key] = kvs;
    if (!keys) return { operation: "DescribeKeyValueStore" };
    if (!key) return { operation: method === "POST" ? "UpdateKeys" : "ListKeys" };
    return { operation: method === "PUT" ? "PutKey" : method === "DELETE" ? "DeleteKey" : "GetKey" };
  }
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
  if (kind === "continuous-deployment-policy") {
    if (!id)
      return {
        operation:
          method === "POST" ? "CreateContinuousDeploymentPolicy" : "ListContinuousDeploymentPolicies",
      };
    if (sub === "config") return { operation: "GetContinuousDeploymentPolicyConfig", policyId: id };
    return {
      operation:
        method === "PUT"
          ? "UpdateContinuousDeploymentPolicy"
          : method === "DELETE"
            ? "DeleteContinuousDeploymentPolicy"
            : "GetContinuousDeploymentPolicy",
      policyId: id,
    };
  }
  if (kind === "distributionsByResponseHeadersPolicyId" && id)
    return { operation: "ListDistributionsByResponseHeadersPolicyId", policyId: id };
  if (kind === "distributionsByCachePolicyId" && id)
    return { operation: "ListDistributionsByCachePolicyId", policyId: id };
  if (kind === "distribution-tenants" && method === "POST") return { operation: "ListDistributionTenants" };
  if (kind === "distribution-tenant" && id && sub === "invalidation")
    return subId
      ? { operation: "GetInvalidationForDistributionTenant", tenantId: id, invalidationId: subId }
      : { operation: "CreateInvalidationForDistributionTenant", tenantId: id };
  if (kind === "distribution-tenant" && id && method === "PUT")
    return sub === "associate-web-acl"
      ? { operation: "AssociateDistributionTenantWebACL", tenantId: id }
      : sub === "disassociate-web-acl"
        ? { operation: "DisassociateDistributionTenantWebACL", tenantId: id }
        : { operation: "UpdateDistributionTenant", tenantId: id };
  if (kind === "distribution-tenant" && method === "GET")
    return id
      ? { operation: "GetDistributionTenant", tenantId: decodeURIComponent(id) }
      : { operation: "GetDistributionTenantByDomain" };
  // Tags are kept by ARN: `?Resource=<arn>` (and, for a write, `&Operation=Tag|Untag`).
  if (kind === "tagging") {
    const arn = decodeURIComponent(/[?&]Resource=([^&]*)/.exec(path)?.[1] ?? "");
    const distributionId = /:distribution\/([A-Z0-9]+)$/.exec(arn)?.[1];
    const operation =
      method === "GET"
        ? "ListTagsForResource"
        : /[?&]Operation=Tag\b/.test(path)
          ? "TagResource"
          : "UntagResource";
    return { operation, ...(distributionId ? { distributionId } : {}) };
  }
  if (kind !== "distribution") return { operation: `${method} ${kind ?? ""}` };
  if (!id) return { operation: method === "POST" ? "CreateDistribution" : "ListDistributions" };
  const withId = { distributionId: id };
  if (!sub) {
    if (method === "DELETE") return { operation: "DeleteDistribution", ...withId };
    return { operation: "GetDistribution", ...withId };
  }
  if (sub === "config")
    return { operation: method === "PUT" ? "UpdateDistribution" : "GetDistributionConfig", ...withId };
  if (sub === "copy") return { operation: "CopyDistribution", ...withId };
  if (sub === "promote-staging-config")
    return { operation: "UpdateDistributionWithStagingConfig", ...withId };
  if (sub === "associate-web-acl") return { operation: "AssociateDistributionWebACL", ...withId };
  if (sub === "disassociate-web-acl") return { operation: "DisassociateDistributionWebACL", ...withId };
  if (sub === "invalidation") {
    if (subId) return { operation: "GetInvalidation", ...withId, invalidationId: subId };
    return { operation: method === "POST" ? "CreateInvalidation" : "ListInvalidations", ...withId };
  }
  return { operation: `${method} distribution/${sub}`, ...withId };
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
  let etagCounter = 0;
  const newETag = () => `ESTRICT${String(++etagCounter).padStart(6, "0")}`;
  const randomId = () => randomUUID().replace(/-/g, "").slice(0, 13).toUpperCase();
  // Cache and response headers policies are the model's too (moto has none).
  const cachePolicies = new SimulatedPolicies(CACHE_POLICIES, MANAGED_CACHE_POLICIES, Date.now, newETag);
  const headersPolicies = new SimulatedPolicies(
    RESPONSE_HEADERS_POLICIES,
    MANAGED_HEADERS_POLICIES,
    Date.now,
    newETag,
  );
  // Distributions belong to an AWS account: each account's are the model's, apart, with their
  // continuous deployment (staging copies, the policies that send them traffic).
  const accounts = new Map<string, SimulatedDistributions>();
  const stagingOf = new Map<string, SimulatedContinuousDeployment>();
  const distributionsIn = (account: string) => {
    let distributions = accounts.get(account);
    if (!distributions) {
      distributions = new SimulatedDistributions(
        Date.now,
        () => deployAfter,
        () => `E${randomId()}`,
        newETag,
      );
      accounts.set(account, distributions);
      stagingOf.set(account, new SimulatedContinuousDeployment(distributions, Date.now, randomId, newETag));
    }
    return distributions;
  };
  const stagingIn = (account: string) => {
    distributionsIn(account);
    return stagingOf.get(account)!;
  };
  const findDistribution = (id: string) => {
    for (const distributions of accounts.values()) {
      const found = distributions.list().find((d) => d.id === id);
      if (found) return found;
    }
    return undefined;
  };

  // Which account a caller acts in, by its access key, as moto's STS says (an assumed role's
  // credentials act in the role's account; the plain test credentials in moto's default one).
  const accountByKey = new Map<string, Promise<string>>();
  function accountOf(req: IncomingMessage): Promise<string> {
    const authorization = String(req.headers.authorization ?? "");
    const key = /Credential=([^/]+)\//.exec(authorization)?.[1] ?? "";
    let account = accountByKey.get(key);
    if (!account) {
      // moto routes by the credential scope's service, and does not check the signature.
      const headers: Record<string, string> = {
        authorization: authorization.replace(/\/cloudfront\/aws4_request/, "/sts/aws4_request"),
        "content-type": "application/x-www-form-urlencoded",
      };
      const token = req.headers["x-amz-security-token"];
      if (typeof token === "string") headers["x-amz-security-token"] = token;
      account = fetch(`${motoUrl}/`, {
        method: "POST",
        headers,
        body: "Action=GetCallerIdentity&Version=2011-06-15",
      })
        .then((res) => res.text())
        .then((xml) => /<Account>(\d{12})<\/Account>/.exec(xml)?.[1] ?? "123456789012");
      accountByKey.set(key, account);
    }
    return account;
  }

  const wireDistribution = (account: string, d: Distribution) => ({
    Id: d.id,
    ARN: `arn:aws:cloudfront::${account}:distribution/${d.id}`,
    Status: distributionsIn(account).status(d),
    LastModifiedTime: new Date(d.lastModified),
    InProgressInvalidationBatches: invalidations.list.filter(
      (i) => i.distributionId === d.id && !invalidations.isComplete(i),
    ).length,
    DomainName: distributionsIn(account).domainName(d),
    ActiveTrustedSigners: { Enabled: false, Quantity: 0 },
    ActiveTrustedKeyGroups: { Enabled: false, Quantity: 0 },
    DistributionConfig: d.config,
  });

  /** A distribution's summary as ListDistributions gives it: most of its config, flattened. */
  const wireSummary = (account: string, d: Distribution) => {
    const c = d.config;
    return {
      Id: d.id,
      ARN: `arn:aws:cloudfront::${account}:distribution/${d.id}`,
      ETag: d.etag,
      Status: distributionsIn(account).status(d),
      LastModifiedTime: new Date(d.lastModified),
      DomainName: distributionsIn(account).domainName(d),
      Aliases: c.Aliases,
      Origins: c.Origins,
      OriginGroups: c.OriginGroups,
      DefaultCacheBehavior: c.DefaultCacheBehavior,
      CacheBehaviors: c.CacheBehaviors,
      CustomErrorResponses: c.CustomErrorResponses,
      Comment: c.Comment,
      PriceClass: c.PriceClass,
      Enabled: c.Enabled,
      ViewerCertificate: c.ViewerCertificate,
      Restrictions: c.Restrictions,
      WebACLId: c.WebACLId,
      HttpVersion: c.HttpVersion,
      IsIPV6Enabled: c.IsIPV6Enabled,
      Staging: c.Staging ?? false,
    };
  };

  /** Which of the caller's account's distributions use a policy on any behaviour. */
  const distributionsUsing = (account: string, policyId: string, field: PolicyField) =>
    distributionsIn(account)
      .usersOf(field, policyId)
      .map((d) => d.id);

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
  function answerPolicy(kind: keyof typeof policyWire, call: Call): void {
    const { operation, policyId = "", parsed, account, send, fail } = call;
    const wire = policyWire[kind];
    const whole = (p: Policy<unknown>) => ({
      Id: p.id,
      LastModifiedTime: new Date(p.modifiedAt),
      [`${wire.name}Config`]: p.config,
    });
    if (operation === `Get${wire.name}Config`) {
      const p = wire.store.get(policyId);
      send(200, { ...XML, etag: p.etag }, wireXml(wire.config$, p.config));
    } else if (operation === `Get${wire.name}`) {
      const p = wire.store.get(policyId);
      send(200, { ...XML, etag: p.etag }, wireXml(wire.policy$, whole(p)));
    } else if (operation.startsWith("List") && operation.endsWith("Policies")) {
      const type = /[?&]Type=(managed|custom)/.exec(call.url)?.[1] as "managed" | "custom" | undefined;
      const items = wire.store
        .list(type)
        .map((p) => ({ Type: p.managed ? "managed" : "custom", [wire.name]: whole(p) }));
      send(200, XML, wireXml(wire.list$, { MaxItems: 100, Quantity: items.length, Items: items }));
    } else if (operation.startsWith("ListDistributionsBy")) {
      wire.store.get(policyId);
      const ids = distributionsUsing(account, policyId, wire.field);
      const list = { Marker: "", MaxItems: 100, IsTruncated: false, Quantity: ids.length, Items: ids };
      send(200, XML, wireXml(DistributionIdList$, list));
    } else if (operation === `Update${wire.name}`) {
      // The body was read by this kind's own schema (PAYLOAD_OF): it is this kind's config.
      const p = wire.store.update(policyId, parsed as never, call.ifMatch);
      // Every distribution using the policy deploys the new settings.
      distributionsIn(account).deployUsersOf(wire.field, p.id);
      send(200, { ...XML, etag: p.etag }, wireXml(wire.policy$, whole(p)));
    } else if (operation === `Create${wire.name}`) {
      const p = wire.store.create(parsed as never);
      const location = `https://cloudfront.amazonaws.com/2020-05-31/${wire.path}/${p.id}`;
      send(201, { ...XML, etag: p.etag, location }, wireXml(wire.policy$, whole(p)));
    } else fail(400, "InvalidArgument", `${operation} is not served by the test bed.`);
  }

  /** CreateInvalidation, GetInvalidation and ListInvalidations, answered from the model. */
  function answerInvalidation(call: Call): void {
    // Only a distribution in the caller's account has invalidations the caller may see.
    const distributionId = distributionsIn(call.account).get(call.distributionId ?? "").id;
    answerInvalidationOf(call, distributionId, `distribution/${distributionId}`);
  }

  /**
   * Create, get or list the invalidations kept under `owner` (a distribution, or a tenant: its
   * invalidations are its own, never listed under the parent); `path` is where its API lives.
   */
  function answerInvalidationOf(call: Call, owner: string, path: string): void {
    const { operation, invalidationId, parsed, send } = call;
    if (operation.startsWith("Create")) {
      const batch = parsed as InvalidationBatch;
      // The service-model check has made sure both are there.
      const inv = invalidations.create(owner, batch.Paths?.Items ?? [], batch.CallerReference ?? "");
      const location = `https://cloudfront.amazonaws.com/2020-05-31/${path}/invalidation/${inv.id}`;
      send(201, { ...XML, location }, wireXml(Invalidation$, wireInvalidation(inv)));
    } else if (operation.startsWith("Get") && invalidationId) {
      const inv = invalidations.find(owner, invalidationId);
      send(200, XML, wireXml(Invalidation$, wireInvalidation(inv)));
    } else {
      const maxItems = Number(/[?&]MaxItems=(\d+)/.exec(call.url)?.[1] ?? 100);
      const items = invalidations.newest(owner, maxItems).map((inv) => {
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
      send(200, XML, wireXml(InvalidationList$, list));
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

  // Tenants of multi-tenant distributions: each belongs to a distribution of one account.
  const tenants = new SimulatedTenants(
    Date.now,
    () => `DT${randomId()}`,
    newETag,
    () => deployAfter,
  );
  const wireTenant = (account: string, t: Tenant) => ({
    Id: t.id,
    DistributionId: t.distributionId,
    Name: t.name,
    Arn: `arn:aws:cloudfront::${account}:distribution-tenant/${t.id}`,
    Domains: t.domains.map((Domain) => ({ Domain, Status: "active" })),
    Parameters: t.parameters.map((p) => ({ Name: p.name, Value: p.value })),
    CreatedTime: new Date(t.createdAt),
    LastModifiedTime: new Date(t.modifiedAt),
    Enabled: t.enabled,
    Status: tenants.status(t),
    ...(t.webAclArn ? { Customizations: { WebAcl: { Action: "override", Arn: t.webAclArn } } } : {}),
  });

  /** ListDistributionTenants, GetDistributionTenant (by id or name) and by domain, from the model. */
  function answerTenant(call: Call): void {
    const { operation, account, send } = call;
    const mine = (t: Tenant) =>
      distributionsIn(account)
        .list()
        .some((d) => d.id === t.distributionId);
    /** The caller's account's tenant, or AWS's refusal: another account's is not there for it. */
    const own = (t: Tenant | undefined): Tenant => {
      if (!t || !mine(t))
        throw awsError("EntityNotFound", "The specified distribution tenant does not exist.", 404);
      return t;
    };
    const byId = () => own(tenants.list().find((t) => t.id === call.tenantId));
    const one = (found: Tenant | undefined) => {
      const t = own(found);
      send(200, { ...XML, etag: t.etag }, wireXml(DistributionTenant$, wireTenant(account, t)));
    };
    if (
      operation === "CreateInvalidationForDistributionTenant" ||
      operation === "GetInvalidationForDistributionTenant"
    ) {
      const tenant = byId();
      answerInvalidationOf(call, tenant.id, `distribution-tenant/${tenant.id}`);
    } else if (operation === "ListDistributionTenants") {
      const filter = (call.parsed as { AssociationFilter?: { DistributionId?: string } }).AssociationFilter;
      const items = tenants
        .list()
        .filter((t) => mine(t) && (!filter?.DistributionId || t.distributionId === filter.DistributionId))
        .map((t) => {
          const { Parameters: _summariesHaveNone, ...summary } = wireTenant(account, t);
          return { ...summary, ETag: t.etag };
        });
      send(200, XML, wireXml(ListDistributionTenantsResult$, { DistributionTenantList: items }));
    } else if (operation === "UpdateDistributionTenant") {
      const tenant = byId();
      const body = call.parsed as UpdateDistributionTenantRequest;
      const parent = distributionsIn(account).get(tenant.distributionId);
      const updated = tenants.update(
        tenant.id,
        {
          domains: (body.Domains ?? []).map((d) => d.Domain ?? ""),
          parameters: (body.Parameters ?? []).map((p) => ({ name: p.Name ?? "", value: p.Value ?? "" })),
          enabled: body.Enabled ?? tenant.enabled,
        },
        call.ifMatch,
        parent.config.TenantConfig?.ParameterDefinitions ?? [],
      );
      send(200, { ...XML, etag: updated.etag }, wireXml(DistributionTenant$, wireTenant(account, updated)));
    } else if (
      operation === "AssociateDistributionTenantWebACL" ||
      operation === "DisassociateDistributionTenantWebACL"
    ) {
      const tenant = byId();
      const associate = operation === "AssociateDistributionTenantWebACL";
      const arn = associate ? (call.parsed as { WebACLArn?: string }).WebACLArn : null;
      if (arn === undefined || arn === "") {
        call.fail(400, "InvalidArgument", "WebACLArn is required.");
        return;
      }
      const updated = tenants.setWebAcl(tenant.id, arn, call.ifMatch);
      send(
        200,
        { ...XML, etag: updated.etag },
        wireXml(
          associate ? AssociateDistributionTenantWebACLResult$ : DisassociateDistributionTenantWebACLResult$,
          { Id: updated.id, ...(arn ? { WebACLArn: arn } : {}) },
        ),
      );
    } else if (operation === "GetDistributionTenant") {
      one(tenants.list().find((t) => t.id === call.tenantId || t.name === call.tenantId));
    } else {
      const domain = decodeURIComponent(/[?&]domain=([^&]*)/.exec(call.url)?.[1] ?? "");
      one(tenants.byDomain(domain));
    }
  }

  // Key-value stores: the data plane CloudFront Functions read, at its own endpoint (this one).
  const keyValueStores = new SimulatedKeyValueStores(Date.now, newETag);
  let storeCounter = 0;

  /** DescribeKeyValueStore, GetKey, ListKeys and UpdateKeys (restJson1), from the model. */
  function answerKeyValueStore(req: IncomingMessage, body: Buffer, call: Call): void {
    const { operation, send } = call;
    // The data plane's endpoint is global: AWS takes only SigV4A signatures for every region.
    const auth = String(req.headers.authorization ?? "");
    if (!auth.startsWith("AWS4-ECDSA-P256-SHA256 ") || req.headers["x-amz-region-set"] !== "*")
      throw awsError(
        "AccessDeniedException",
        "The KeyValueStore API takes SigV4A signatures (region set *) only.",
        403,
      );
    const path = (call.url.split("?")[0] ?? "").split("/");
    const arn = decodeURIComponent(path[2] ?? "");
    const key = path[4] === undefined ? undefined : decodeURIComponent(path.slice(4).join("/"));
    const json = (value: unknown, etag?: string) =>
      send(200, { "content-type": "application/json", ...(etag ? { etag } : {}) }, JSON.stringify(value));
    const store = keyValueStores.get(arn);
    const counts = () => ({
      ItemCount: Object.keys(store.items).length,
      TotalSizeInBytes: keyValueStores.size(store),
    });
    if (operation === "DescribeKeyValueStore")
      json(
        {
          ...counts(),
          KvsARN: arn,
          Created: store.createdAt / 1000,
          LastModified: store.modifiedAt / 1000,
          Status: "READY",
        },
        store.etag,
      );
    else if (operation === "GetKey")
      json({ Key: key, Value: keyValueStores.value(arn, key ?? ""), ...counts() });
    else if (operation === "ListKeys") {
      const max = Number(/[?&]MaxResults=(\d+)/.exec(call.url)?.[1] ?? 50);
      const from = Number(decodeURIComponent(/[?&]NextToken=([^&]*)/.exec(call.url)?.[1] ?? "0"));
      const all = Object.entries(store.items);
      const page = all.slice(from, from + max).map(([Key, Value]) => ({ Key, Value }));
      json({ Items: page, ...(from + max < all.length ? { NextToken: String(from + max) } : {}) });
    } else if (operation === "UpdateKeys") {
      const parsed = JSON.parse(body.toString("utf8") || "{}") as {
        Puts?: { Key: string; Value: string }[];
        Deletes?: { Key: string }[];
      };
      const updated = keyValueStores.update(
        arn,
        (parsed.Puts ?? []).map((p) => ({ key: p.Key, value: p.Value })),
        (parsed.Deletes ?? []).map((d) => d.Key),
        call.ifMatch,
      );
      json(
        { ItemCount: Object.keys(updated.items).length, TotalSizeInBytes: keyValueStores.size(updated) },
        updated.etag,
      );
    } else throw awsError("ValidationException", `${operation} is not served by the test bed.`, 400);
  }

  /** Continuous deployment: staging copies, their policies, promotions (moto has none). */
  function answerStaging(req: IncomingMessage, call: Call): void {
    const { operation, account, distributionId = "", policyId = "", send, fail } = call;
    const staging = stagingIn(account);
    const wirePolicy = (p: { id: string; config: unknown; modifiedAt: number }) =>
      wireXml(ContinuousDeploymentPolicy$, {
        Id: p.id,
        LastModifiedTime: new Date(p.modifiedAt),
        ContinuousDeploymentPolicyConfig: p.config,
      });
    if (operation === "CopyDistribution") {
      const body = call.parsed as { CallerReference?: string; Enabled?: boolean };
      const d = staging.copy(distributionId, body.CallerReference ?? "", call.ifMatch, {
        staging: String(req.headers.staging) === "true",
        enabled: body.Enabled ?? true,
      });
      const location = `https://cloudfront.amazonaws.com/2020-05-31/distribution/${d.id}`;
      send(201, { ...XML, etag: d.etag, location }, wireXml(Distribution$, wireDistribution(account, d)));
    } else if (operation === "UpdateDistributionWithStagingConfig") {
      const stagingId = decodeURIComponent(/[?&]StagingDistributionId=([^&]*)/.exec(call.url)?.[1] ?? "");
      const d = staging.promote(distributionId, stagingId, call.ifMatch);
      send(200, { ...XML, etag: d.etag }, wireXml(Distribution$, wireDistribution(account, d)));
    } else if (operation === "CreateContinuousDeploymentPolicy") {
      const p = staging.createPolicy(call.parsed as never);
      const location = `https://cloudfront.amazonaws.com/2020-05-31/continuous-deployment-policy/${p.id}`;
      send(201, { ...XML, etag: p.etag, location }, wirePolicy(p));
    } else if (operation === "GetContinuousDeploymentPolicyConfig") {
      const p = staging.policy(policyId);
      send(200, { ...XML, etag: p.etag }, wireXml(ContinuousDeploymentPolicyConfig$, p.config));
    } else if (operation === "GetContinuousDeploymentPolicy") {
      const p = staging.policy(policyId);
      send(200, { ...XML, etag: p.etag }, wirePolicy(p));
    } else if (operation === "UpdateContinuousDeploymentPolicy") {
      const p = staging.updatePolicy(policyId, call.parsed as never, call.ifMatch);
      send(200, { ...XML, etag: p.etag }, wirePolicy(p));
    } else if (operation === "DeleteContinuousDeploymentPolicy") {
      staging.deletePolicy(policyId, call.ifMatch);
      send(204, {}, "");
    } else fail(400, "InvalidArgument", `${operation} is not served by the test bed.`);
  }

  /** The distribution calls, answered from the caller's account's distributions. */
  function answerDistribution(call: Call): void {
    const { operation, account, distributionId = "", send, fail } = call;
    const distributions = distributionsIn(account);
    const whole = (d: Distribution) => wireXml(Distribution$, wireDistribution(account, d));
    if (operation === "CreateDistribution") {
      const d = distributions.create(call.parsed as DistributionConfig);
      const location = `https://cloudfront.amazonaws.com/2020-05-31/distribution/${d.id}`;
      send(201, { ...XML, etag: d.etag, location }, whole(d));
    } else if (operation === "GetDistribution") {
      const d = distributions.get(distributionId);
      send(200, { ...XML, etag: d.etag }, whole(d));
    } else if (operation === "ListTagsForResource") {
      const d = distributions.get(distributionId);
      const items = Object.entries(d.tags ?? {}).map(([Key, Value]) => ({ Key, Value }));
      send(200, XML, wireXml(Tags$, { Items: items }));
    } else if (operation === "TagResource") {
      const tags = (call.parsed as { Items?: { Key?: string; Value?: string }[] }).Items ?? [];
      distributions.tag(distributionId, Object.fromEntries(tags.map((t) => [t.Key ?? "", t.Value ?? ""])));
      send(204, {}, "");
    } else if (operation === "GetDistributionConfig") {
      const d = distributions.get(distributionId);
      send(200, { ...XML, etag: d.etag }, wireXml(DistributionConfig$, d.config));
    } else if (operation === "UpdateDistribution") {
      const d = distributions.update(distributionId, call.parsed as DistributionConfig, call.ifMatch);
      send(200, { ...XML, etag: d.etag }, whole(d));
    } else if (
      operation === "AssociateDistributionWebACL" ||
      operation === "DisassociateDistributionWebACL"
    ) {
      const arn =
        operation === "AssociateDistributionWebACL"
          ? (call.parsed as { WebACLArn?: string }).WebACLArn
          : null;
      if (arn === undefined || arn === "") {
        fail(400, "InvalidArgument", "WebACLArn is required.");
        return;
      }
      const d = distributions.setWebAcl(distributionId, arn, call.ifMatch);
      const answer = { Id: d.id, ...(arn ? { WebACLArn: arn } : {}) };
      const result$ =
        operation === "AssociateDistributionWebACL"
          ? AssociateDistributionWebACLResult$
          : DisassociateDistributionWebACLResult$;
      send(200, { ...XML, etag: d.etag }, wireXml(result$, answer));
    } else if (operation === "DeleteDistribution") {
      distributions.delete(distributionId, call.ifMatch);
      send(204, {}, "");
    } else if (operation === "ListDistributions") {
      // Pages as AWS's: MaxItems at a time, each page's NextMarker the id to go on after.
      const maxItems = Number(/[?&]MaxItems=(\d+)/.exec(call.url)?.[1] ?? 100);
      const marker = decodeURIComponent(/[?&]Marker=([^&]*)/.exec(call.url)?.[1] ?? "");
      const all = distributions.list();
      const from = marker ? all.findIndex((d) => d.id === marker) + 1 : 0;
      const page = all.slice(from, from + maxItems);
      const truncated = from + maxItems < all.length;
      const list = {
        Marker: marker,
        MaxItems: maxItems,
        IsTruncated: truncated,
        Quantity: page.length,
        ...(truncated ? { NextMarker: page.at(-1)?.id } : {}),
        Items: page.map((d) => wireSummary(account, d)),
      };
      send(200, XML, wireXml(DistributionList$, list));
    } else fail(400, "InvalidArgument", `${operation} is not served by the test bed.`);
  }

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

  /** Counts and records a CloudFront call; the fault injected for it, if any. */
  function noteCall(req: IncomingMessage, operation: string, distributionId: string | undefined) {
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
    return faults.get(operation)?.shift();
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const method = req.method ?? "GET";
    const { operation, distributionId, invalidationId, policyId, tenantId } = classify(
      method,
      req.url ?? "/",
    );
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
    const fault = noteCall(req, operation, distributionId);
    if (fault) {
      if (fault.delayMs) await new Promise((r) => setTimeout(r, fault.delayMs));
      fail(fault.status, fault.code, fault.message ?? fault.code);
      return;
    }
    try {
      // A body AWS would refuse against its service model is refused here too.
      const payload = PAYLOAD_OF[operation];
      const parsed: unknown = payload
        ? await bodyDeserializer.read(PAYLOADS[payload], new Uint8Array(body))
        : operation === "AssociateDistributionWebACL"
          ? await bodyDeserializer.read(AssociateDistributionWebACLRequest$, new Uint8Array(body))
          : operation === "TagResource"
            ? await bodyDeserializer.read(Tags$, new Uint8Array(body))
            : operation === "CopyDistribution"
              ? await bodyDeserializer.read(CopyDistributionRequest$, new Uint8Array(body))
              : operation === "ListDistributionTenants"
                ? await bodyDeserializer.read(ListDistributionTenantsRequest$, new Uint8Array(body))
                : operation === "UpdateDistributionTenant"
                  ? await bodyDeserializer.read(UpdateDistributionTenantRequest$, new Uint8Array(body))
                  : operation === "AssociateDistributionTenantWebACL"
                    ? await bodyDeserializer.read(
                        AssociateDistributionTenantWebACLRequest$,
                        new Uint8Array(body),
                      )
                    : undefined;
      if (payload) refuseMalformed(payload, parsed);
      const ifMatch = req.headers["if-match"];
      const call: Call = {
        operation,
        account: await accountOf(req),
        ...(distributionId ? { distributionId } : {}),
        ...(invalidationId ? { invalidationId } : {}),
        ...(policyId ? { policyId } : {}),
        ...(tenantId ? { tenantId } : {}),
        parsed,
        ...(typeof ifMatch === "string" && ifMatch !== "" ? { ifMatch } : {}),
        url: req.url ?? "",
        send,
        fail,
      };
      if (/^(DescribeKeyValueStore|GetKey|ListKeys|UpdateKeys|PutKey|DeleteKey)$/.test(operation))
        try {
          answerKeyValueStore(req, body, call);
        } catch (error) {
          // restJson1: the error's name in a header, its message in a JSON body.
          const refused = error as Error & { $metadata?: { httpStatusCode?: number } };
          send(
            refused.$metadata?.httpStatusCode ?? 400,
            { "content-type": "application/json", "x-amzn-errortype": refused.name },
            JSON.stringify({ message: refused.message }),
          );
        }
      else if (
        operation.includes("ContinuousDeploymentPolic") ||
        operation === "CopyDistribution" ||
        operation === "UpdateDistributionWithStagingConfig"
      )
        answerStaging(req, call);
      else if (operation.includes("ResponseHeadersPolic")) answerPolicy("headers", call);
      else if (operation.includes("CachePolic")) answerPolicy("cache", call);
      else if (operation.endsWith("Invalidation") || operation === "ListInvalidations")
        answerInvalidation(call);
      else if (operation.includes("DistributionTenant")) answerTenant(call);
      else answerDistribution(call);
    } catch (error) {
      failAsModel(fail, error);
    }
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
    currentETag: (id) => findDistribution(id)?.etag,
    defineTenantParameters(distributionId, parameters) {
      for (const distributions of accounts.values()) {
        if (!distributions.list().some((d) => d.id === distributionId)) continue;
        distributions.editElsewhere(distributionId, (config) => {
          config.TenantConfig = {
            ParameterDefinitions: parameters.map((p) => ({
              Name: p.name,
              Definition: { StringSchema: { Required: p.required ?? false } },
            })),
          };
        });
      }
    },
    tenant: (id) => tenants.list().find((t) => t.id === id),
    addKeyValueStore: (items) =>
      keyValueStores.add(
        `arn:aws:cloudfront::123456789012:key-value-store/kvs-${String(++storeCounter).padStart(4, "0")}`,
        items,
      ).arn,
    keyValueItems: (arn) => ({ ...keyValueStores.get(arn).items }),
    editKeyValueElsewhere: (arn, key, value) => keyValueStores.editElsewhere(arn, key, value),
    addTenant: (distributionId, tenant) =>
      tenants.add({ distributionId, enabled: true, parameters: [], ...tenant }).id,
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
