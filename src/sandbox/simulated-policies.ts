import type { CachePolicyConfig, ResponseHeadersPolicyConfig } from "../aws/cloudfront-gateway.js";
import { awsError, refuseStaleIfMatch } from "./simulated-aws-errors.js";

/** A policy as CloudFront keeps it: its config, the ETag an update must send, whether AWS owns it. */
export type Policy<C> = { id: string; config: C; etag: string; managed: boolean; modifiedAt: number };

/** What tells one kind of policy from another: its name in AWS's errors, and what AWS checks of it. */
export type PolicyKind<C> = {
  /** As AWS's messages say it: "cache policy", "response headers policy". */
  what: string;
  /** The error codes' stem: `NoSuch<Stem>`, `<Stem>AlreadyExists`. */
  codeStem: string;
  /** What AWS refuses in a config beyond its shape (the service-model check does the shape). */
  check?(config: C): void;
};

export const CACHE_POLICIES: PolicyKind<CachePolicyConfig> = {
  what: "cache policy",
  codeStem: "CachePolicy",
  check: (config) => {
    // AWS's defaults for what a config leaves out (its API reference for CachePolicyConfig).
    const defaultTtl = config.DefaultTTL ?? 86_400;
    const maxTtl = config.MaxTTL ?? 31_536_000;
    if (!((config.MinTTL ?? 0) <= defaultTtl && defaultTtl <= maxTtl))
      throw awsError("InvalidArgument", "The TTLs must satisfy MinTTL <= DefaultTTL <= MaxTTL.", 400);
  },
};

export const RESPONSE_HEADERS_POLICIES: PolicyKind<ResponseHeadersPolicyConfig> = {
  what: "response headers policy",
  codeStem: "ResponseHeadersPolicy",
};

const clone = <T>(value: T): T => structuredClone(value);

/**
 * Cache policies or response headers policies as CloudFront documents them: a name is unique in
 * the account, every write gives a new ETag and a missing or stale `If-Match` is refused, AWS's
 * managed policies are read-only. Which distributions deploy a change is the caller's to say.
 */
export class SimulatedPolicies<C extends { Name: string | undefined }> {
  private readonly policies = new Map<string, Policy<C>>();

  constructor(
    private readonly kind: PolicyKind<C>,
    managed: readonly Omit<Policy<C>, "managed">[],
    private readonly clock: () => number,
    private readonly newETag: () => string,
    private readonly newId: () => string = () => crypto.randomUUID(),
  ) {
    for (const p of managed) this.policies.set(p.id, { ...clone(p), managed: true });
  }

  /** The policy with this id, if there is one. */
  find(id: string): Policy<C> | undefined {
    return this.policies.get(id);
  }

  get(id: string): Policy<C> {
    const policy = this.find(id);
    if (!policy) throw awsError(`NoSuch${this.kind.codeStem}`, `The ${this.kind.what} does not exist.`, 404);
    return policy;
  }

  /** Every policy, or only AWS's (`managed`) or only the account's (`custom`). */
  list(type?: "managed" | "custom"): Policy<C>[] {
    return [...this.policies.values()].filter(
      (p) => type === undefined || p.managed === (type === "managed"),
    );
  }

  /** The account's own policy of this name. */
  named(name: string): Policy<C> | undefined {
    return this.list("custom").find((p) => p.config.Name === name);
  }

  create(config: C): Policy<C> {
    if (this.list().some((p) => p.config.Name === config.Name))
      throw awsError(
        `${this.kind.codeStem}AlreadyExists`,
        `A ${this.kind.what} with this name already exists.`,
        409,
      );
    this.kind.check?.(config);
    const policy: Policy<C> = {
      id: this.newId(),
      config: clone(config),
      etag: this.newETag(),
      managed: false,
      modifiedAt: this.clock(),
    };
    this.policies.set(policy.id, policy);
    return policy;
  }

  update(id: string, config: C, ifMatch: string | undefined): Policy<C> {
    const policy = this.get(id);
    if (policy.managed) throw awsError("IllegalUpdate", `You can't update a managed ${this.kind.what}.`, 400);
    refuseStaleIfMatch(ifMatch, policy.etag);
    this.kind.check?.(config);
    this.write(policy, config);
    return policy;
  }

  /** Someone else (the console, Terraform) changes a policy: a new ETag. */
  editElsewhere(id: string, edit: (config: C) => void): void {
    const policy = this.get(id);
    const config = clone(policy.config);
    edit(config);
    this.write(policy, config);
  }

  /** The account's own policies, to keep between runs (AWS's are the same every run). */
  custom(): Policy<C>[] {
    return this.list("custom").map(clone);
  }

  restore(custom: readonly Policy<C>[]): void {
    for (const p of custom) this.policies.set(p.id, clone({ ...p, modifiedAt: p.modifiedAt ?? 0 }));
  }

  private write(policy: Policy<C>, config: C): void {
    policy.config = clone(config);
    policy.etag = this.newETag();
    policy.modifiedAt = this.clock();
  }
}

/**
 * A cache policy's config with these TTLs ([min, default, max]) and nothing in the cache key: how
 * AWS's managed CachingOptimized and CachingDisabled read, and the test bed's custom ones.
 */
export function cachePolicyConfig(name: string, ttl: [number, number, number]): CachePolicyConfig {
  return {
    Name: name,
    MinTTL: ttl[0],
    DefaultTTL: ttl[1],
    MaxTTL: ttl[2],
    ParametersInCacheKeyAndForwardedToOrigin: {
      EnableAcceptEncodingGzip: true,
      EnableAcceptEncodingBrotli: true,
      HeadersConfig: { HeaderBehavior: "none" },
      CookiesConfig: { CookieBehavior: "none" },
      QueryStringsConfig: { QueryStringBehavior: "none" },
    },
  };
}

/** A managed policy as AWS publishes it: its TTLs; the rest of its config is not simulated. */
function managedPolicy(
  id: string,
  name: string,
  ttl: [number, number, number],
): Omit<Policy<CachePolicyConfig>, "managed"> {
  return {
    id,
    modifiedAt: 0,
    etag: `E${id.slice(0, 8).toUpperCase()}`,
    config: cachePolicyConfig(name, ttl),
  };
}

/** AWS's managed SecurityHeadersPolicy, as AWS publishes it. */
const SECURITY_HEADERS: Omit<Policy<ResponseHeadersPolicyConfig>, "managed"> = {
  id: "67f7725c-6f97-4210-82d7-5512b31e9d03",
  etag: "EMANAGEDHEADERS",
  modifiedAt: 0,
  config: {
    Name: "Managed-SecurityHeadersPolicy",
    SecurityHeadersConfig: {
      StrictTransportSecurity: {
        Override: false,
        IncludeSubdomains: false,
        Preload: false,
        AccessControlMaxAgeSec: 31_536_000,
      },
      ContentTypeOptions: { Override: true },
      FrameOptions: { Override: false, FrameOption: "SAMEORIGIN" },
      ReferrerPolicy: { Override: false, ReferrerPolicy: "strict-origin-when-cross-origin" },
      XSSProtection: { Override: false, Protection: true, ModeBlock: true },
    },
  },
};

/** AWS's managed cache policies the demo and test distributions use (ids as AWS publishes them). */
export const MANAGED_CACHE_POLICIES = [
  managedPolicy("658327ea-f89d-4fab-a63d-7e88639e58f6", "Managed-CachingOptimized", [1, 86_400, 31_536_000]),
  managedPolicy("4135ea2d-6df8-44a3-9df3-4b5a84be39ad", "Managed-CachingDisabled", [0, 0, 0]),
];

/** AWS's managed response headers policies the simulation has. */
export const MANAGED_HEADERS_POLICIES = [SECURITY_HEADERS];
