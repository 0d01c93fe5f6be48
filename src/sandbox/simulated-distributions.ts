import type { DistributionConfig } from "../aws/cloudfront-gateway.js";
import { awsError, refuseStaleIfMatch } from "./simulated-aws-errors.js";

/** A distribution as the model keeps it: its config, the ETag of that config, and its deploy. */
export type Distribution = {
  id: string;
  config: DistributionConfig;
  etag: string;
  lastModified: number;
  /** Until then its Status is InProgress. */
  deployedAt: number;
  /** CloudFront's own host name for it (`d111111abcdef8.cloudfront.net`). */
  domainName?: string;
  /** Its resource tags (TagResource, ListTagsForResource): who owns it, as IaC tools mark it. */
  tags?: Record<string, string>;
};

type Behavior = NonNullable<DistributionConfig["DefaultCacheBehavior"]>;
export type PolicyField = "CachePolicyId" | "ResponseHeadersPolicyId";

const clone = <T>(value: T): T => structuredClone(value);

/**
 * The members CloudFront fills in on a distribution created without them, as GetDistributionConfig
 * then returns them (AWS's API reference, DistributionConfig and CacheBehavior): what a later
 * UpdateDistribution must send back.
 */
function withDefaults(config: DistributionConfig): DistributionConfig {
  const behavior = (b: Behavior): Behavior => ({
    TrustedSigners: { Enabled: false, Quantity: 0 },
    TrustedKeyGroups: { Enabled: false, Quantity: 0 },
    AllowedMethods: {
      Quantity: 2,
      Items: ["HEAD", "GET"],
      CachedMethods: { Quantity: 2, Items: ["HEAD", "GET"] },
    },
    SmoothStreaming: false,
    Compress: false,
    LambdaFunctionAssociations: { Quantity: 0 },
    FunctionAssociations: { Quantity: 0 },
    FieldLevelEncryptionId: "",
    ...b,
  });
  return {
    Aliases: { Quantity: 0 },
    DefaultRootObject: "",
    OriginGroups: { Quantity: 0 },
    CacheBehaviors: { Quantity: 0 },
    CustomErrorResponses: { Quantity: 0 },
    Logging: { Enabled: false, IncludeCookies: false, Bucket: "", Prefix: "" },
    PriceClass: "PriceClass_All",
    ViewerCertificate: {
      CloudFrontDefaultCertificate: true,
      SSLSupportMethod: "vip",
      MinimumProtocolVersion: "TLSv1",
      CertificateSource: "cloudfront",
    },
    Restrictions: { GeoRestriction: { RestrictionType: "none", Quantity: 0 } },
    WebACLId: "",
    HttpVersion: "http2",
    IsIPV6Enabled: true,
    Staging: false,
    ...config,
    Origins: {
      ...config.Origins,
      Quantity: config.Origins?.Quantity ?? 0,
      Items: (config.Origins?.Items ?? []).map((o) => ({
        OriginPath: "",
        CustomHeaders: { Quantity: 0 },
        ConnectionAttempts: 3,
        ConnectionTimeout: 10,
        OriginShield: { Enabled: false },
        ...o,
      })),
    },
    ...(config.DefaultCacheBehavior ? { DefaultCacheBehavior: behavior(config.DefaultCacheBehavior) } : {}),
    ...(config.CacheBehaviors?.Items
      ? {
          CacheBehaviors: {
            Quantity: config.CacheBehaviors.Quantity,
            Items: config.CacheBehaviors.Items.map((b) => behavior(b as Behavior) as typeof b),
          },
        }
      : {}),
  };
}

/**
 * CloudFront's distributions in one account, as AWS documents them: every write gives a new ETag
 * and starts a deploy (InProgress, then Deployed); an update or delete without the current ETag in
 * If-Match is refused; CallerReference cannot change and names one distribution; a distribution is
 * deleted only once disabled and Deployed. Used by the sandbox, the bench and the test bed alike.
 */
export class SimulatedDistributions {
  private readonly byId = new Map<string, Distribution>();
  /** What else refuses an update (continuous deployment's rules on a policy a primary takes). */
  refuseUpdate: (d: Distribution, next: DistributionConfig) => void = () => {};

  constructor(
    private readonly clock: () => number,
    /** How long the next deploy takes. */
    private readonly deployMs: () => number,
    private readonly newId: () => string,
    private readonly newETag: () => string,
    /** Called after every write. */
    private readonly onChange: () => void = () => {},
  ) {}

  /** A distribution that exists already, deployed. */
  seed(id: string, config: DistributionConfig, domainName?: string): Distribution {
    const d: Distribution = {
      id,
      config: clone(config),
      etag: this.newETag(),
      lastModified: this.clock(),
      deployedAt: this.clock(),
      ...(domainName ? { domainName } : {}),
    };
    this.byId.set(id, d);
    return d;
  }

  /** TagResource: the tags given are set (added, or their values replaced); the rest are kept. */
  tag(id: string, tags: Record<string, string>): void {
    const d = this.get(id);
    d.tags = { ...d.tags, ...tags };
    this.onChange();
  }

  list(): Distribution[] {
    return [...this.byId.values()];
  }

  restore(distributions: readonly Distribution[]): void {
    this.byId.clear();
    for (const d of distributions) this.byId.set(d.id, clone(d));
  }

  get(id: string): Distribution {
    const d = this.byId.get(id);
    if (!d) throw awsError("NoSuchDistribution", "The specified distribution does not exist.", 404);
    return d;
  }

  status(d: Distribution): "InProgress" | "Deployed" {
    return this.clock() < d.deployedAt ? "InProgress" : "Deployed";
  }

  domainName(d: Distribution): string {
    return d.domainName ?? `${d.id.toLowerCase()}.cloudfront.net`;
  }

  update(id: string, config: DistributionConfig, ifMatch: string | undefined): Distribution {
    const d = this.get(id);
    refuseStaleIfMatch(ifMatch, d.etag);
    if (config.CallerReference !== d.config.CallerReference)
      throw awsError(
        "IllegalUpdate",
        "The update contains modifications that are not allowed: CallerReference.",
        400,
      );
    if ((config.Staging ?? false) !== (d.config.Staging ?? false))
      throw awsError(
        "IllegalUpdate",
        "The update contains modifications that are not allowed: Staging.",
        400,
      );
    this.refuseUpdate(d, config);
    d.config = clone(config);
    this.written(d);
    return d;
  }

  create(config: DistributionConfig): Distribution {
    const existing = this.list().find((d) => d.config.CallerReference === config.CallerReference);
    if (existing)
      throw awsError(
        "DistributionAlreadyExists",
        `The caller reference that you are using to create a distribution is associated with another distribution. Already exists: ${existing.id}`,
        409,
      );
    const d: Distribution = {
      id: this.newId(),
      config: withDefaults(clone(config)),
      etag: "",
      lastModified: 0,
      deployedAt: 0,
    };
    this.byId.set(d.id, d);
    this.written(d);
    return d;
  }

  delete(id: string, ifMatch: string | undefined): void {
    const d = this.get(id);
    refuseStaleIfMatch(ifMatch, d.etag);
    if (d.config.Enabled || this.status(d) !== "Deployed")
      throw awsError(
        "DistributionNotDisabled",
        "The distribution you are trying to delete has not been disabled.",
        409,
      );
    this.byId.delete(id);
    this.onChange();
  }

  /**
   * AssociateDistributionWebACL / DisassociateDistributionWebACL: the distribution's ETag in
   * If-Match, a new ETag and a deploy; disassociating where there is none is refused.
   */
  setWebAcl(id: string, webAclArn: string | null, ifMatch: string | undefined): Distribution {
    const d = this.get(id);
    refuseStaleIfMatch(ifMatch, d.etag);
    if (webAclArn === null && !d.config.WebACLId)
      throw awsError("EntityNotFound", "The distribution has no web ACL to disassociate.", 404);
    d.config = { ...d.config, WebACLId: webAclArn ?? "" };
    this.written(d);
    return d;
  }

  /**
   * Something the distribution uses changed (its continuous deployment policy): a deploy, its own
   * config and so its ETag unchanged.
   */
  redeploy(id: string): void {
    this.get(id).deployedAt = this.clock() + this.deployMs();
    this.onChange();
  }

  /** Someone else (the console, Terraform) changes a distribution: a new ETag and a deploy. */
  editElsewhere(id: string, edit: (config: DistributionConfig) => void): void {
    const d = this.get(id);
    edit(d.config);
    this.written(d);
  }

  /** The distributions whose behaviours use this policy. */
  usersOf(field: PolicyField, policyId: string): Distribution[] {
    return this.list().filter((d) =>
      [d.config.DefaultCacheBehavior, ...(d.config.CacheBehaviors?.Items ?? [])].some(
        (b) => b?.[field] === policyId,
      ),
    );
  }

  /** A policy they use changed: each of them deploys the new settings. */
  deployUsersOf(field: PolicyField, policyId: string): void {
    for (const d of this.usersOf(field, policyId)) this.written(d);
    this.onChange();
  }

  private written(d: Distribution): void {
    d.etag = this.newETag();
    d.lastModified = this.clock();
    d.deployedAt = this.clock() + this.deployMs();
    this.onChange();
  }
}
