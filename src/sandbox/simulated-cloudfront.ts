import { asStaleEtag } from "../aws/aws-errors.js";
import type {
  CachePolicyConfig,
  CloudFrontGateway,
  ContinuousDeploymentPolicyConfig,
  DistributionConfig,
  DistributionInfo,
  DistributionSummary,
  InvalidationInfo,
  RealtimeLogConfigInfo,
  RealtimeLogConfigInput,
  ResponseHeadersPolicyConfig,
  ResponseHeadersPolicySummary,
  TenantDocument,
  TenantInfo,
} from "../aws/cloudfront-gateway.js";
import { invalidationBatch } from "../aws/cloudfront-invalidation-calls.js";
import { awsError, refuseMalformed, SIMULATED_ACCOUNT } from "./simulated-aws-errors.js";
import {
  type ContinuousDeploymentPolicy,
  SimulatedContinuousDeployment,
} from "./simulated-continuous-deployment.js";
import { type Distribution, SimulatedDistributions } from "./simulated-distributions.js";
import {
  type Invalidation,
  type InvalidationRate,
  SimulatedInvalidations,
} from "./simulated-invalidations.js";
import { type KeyValueStore, SimulatedKeyValueStores } from "./simulated-key-value-stores.js";
import {
  CACHE_POLICIES,
  MANAGED_CACHE_POLICIES,
  MANAGED_HEADERS_POLICIES,
  type Policy,
  RESPONSE_HEADERS_POLICIES,
  SimulatedPolicies,
} from "./simulated-policies.js";
import { SimulatedRealtimeLogs } from "./simulated-realtime-logs.js";
import {
  SimulatedTenants,
  type Tenant,
  tenantDocument,
  tenantInfo,
  tenantUpdate,
} from "./simulated-tenants.js";

/**
 * CloudFront as AWS documents it, in memory, for the sandbox: what the sandbox teaches a user must
 * be what AWS would do. Invalidations take a while, deploys longer; every write gives the
 * distribution a new ETag and a stale `If-Match` is refused; a `CallerReference` sent again returns
 * the first invalidation (or is refused if its paths differ); the paths-in-progress quotas apply.
 */

export type SimulationTiming = {
  /**
   * How long an invalidation takes, at speed 1: CloudFront's usual 20–40 s; or, for a bench in
   * simulated time, how long the n-th one (from 1) takes.
   */
  invalidationMs: [number, number] | ((n: number) => number);
  /** How long a deploy takes, at speed 1 (real ones take 5–20 minutes; a demo cannot wait that long). */
  deployMs: [number, number];
  /** 2 makes everything take half as long. */
  speed: number;
};

export const DEFAULT_TIMING: SimulationTiming = {
  invalidationMs: [20_000, 40_000],
  deployMs: [60_000, 120_000],
  speed: 1,
};

export type SimulatedDistribution = { id: string; config: DistributionConfig; tags?: Record<string, string> };

/** What the simulation holds, as JSON keeps it (`npm run sandbox -- --data` keeps it between runs). */
export type SimulationState = {
  distributions: Distribution[];
  invalidations: Invalidation[];
  realtimeLogConfigs: RealtimeLogConfigInfo[];
  /** Custom cache policies (the managed ones are AWS's, the same every run); absent in older files. */
  cachePolicies?: Policy<CachePolicyConfig>[];
  /** Custom response headers policies; absent in older files. */
  responseHeadersPolicies?: Policy<ResponseHeadersPolicyConfig>[];
  /** Tenants of multi-tenant distributions; absent in older files. */
  tenants?: Tenant[];
  /** Key-value stores; absent in older files. */
  keyValueStores?: KeyValueStore[];
  /** Continuous deployment policies; absent in older files. */
  continuousDeploymentPolicies?: ContinuousDeploymentPolicy[];
};

/** Trouble the sandbox's panel can cause. */
export type CloudFrontTrouble = {
  /** Every call waits this long first (a slow CloudFront). */
  latencyMs: number;
  /** Every call is refused with `Throttling`, as AWS does past the request rate. */
  throttling: boolean;
};

const clone = <T>(value: T): T => structuredClone(value);

export class SimulatedCloudFront implements CloudFrontGateway {
  readonly trouble: CloudFrontTrouble = { latencyMs: 0, throttling: false };
  /** Called after every write, so what was written can be kept. */
  onChange: (() => void) | undefined;
  private readonly distributions: SimulatedDistributions;
  /** Tenants of the multi-tenant distributions (their invalidations are kept under the tenant's id). */
  readonly tenants: SimulatedTenants;
  /** CloudFront KeyValueStores (the data plane CloudFront Functions read). */
  readonly keyValueStores: SimulatedKeyValueStores;
  private readonly invalidations: SimulatedInvalidations;
  private readonly realtimeLogConfigs = new SimulatedRealtimeLogs();
  private readonly cachePolicies: SimulatedPolicies<CachePolicyConfig>;
  private readonly headersPolicies: SimulatedPolicies<ResponseHeadersPolicyConfig>;
  /** Staging copies, the policies that send them traffic, promotions. */
  private readonly staging: SimulatedContinuousDeployment;
  private counter = 0;

  constructor(
    seed: SimulatedDistribution[],
    clock: () => number = Date.now,
    private readonly timing: SimulationTiming = DEFAULT_TIMING,
    private readonly random: () => number = Math.random,
    /** CreateInvalidation's account limit, when the simulation should apply it (the pacing bench). */
    invalidationRate?: InvalidationRate,
  ) {
    const { invalidationMs } = timing;
    this.keyValueStores = new SimulatedKeyValueStores(clock, () => this.newETag());
    this.tenants = new SimulatedTenants(
      clock,
      () => `DT${this.randomId(12)}`,
      () => this.newETag(),
      () => this.duration(timing.deployMs),
    );
    this.distributions = new SimulatedDistributions(
      clock,
      () => this.duration(timing.deployMs),
      () => `E${this.randomId(13)}`,
      () => this.newETag(),
      () => this.onChange?.(),
    );
    this.invalidations = new SimulatedInvalidations(
      clock,
      typeof invalidationMs === "function"
        ? (n) => invalidationMs(n) / timing.speed
        : () => this.duration(invalidationMs),
      () => `I${this.randomId(13)}`,
      invalidationRate ? { rate: invalidationRate } : {},
    );
    this.cachePolicies = new SimulatedPolicies(CACHE_POLICIES, MANAGED_CACHE_POLICIES, clock, () =>
      this.newETag(),
    );
    this.headersPolicies = new SimulatedPolicies(
      RESPONSE_HEADERS_POLICIES,
      MANAGED_HEADERS_POLICIES,
      clock,
      () => this.newETag(),
    );
    this.staging = new SimulatedContinuousDeployment(
      this.distributions,
      clock,
      () => this.randomId(14),
      () => this.newETag(),
    );
    for (const d of seed) {
      this.distributions.seed(d.id, d.config);
      if (d.tags) this.distributions.tag(d.id, d.tags);
    }
  }

  snapshot(): SimulationState {
    return clone({
      distributions: this.distributions.list(),
      invalidations: this.invalidations.list,
      realtimeLogConfigs: this.realtimeLogConfigs.list(),
      cachePolicies: this.cachePolicies.custom(),
      responseHeadersPolicies: this.headersPolicies.custom(),
      tenants: this.tenants.list(),
      keyValueStores: this.keyValueStores.list(),
      continuousDeploymentPolicies: this.staging.list(),
    });
  }

  /** Picks up where a snapshot left off: the same ETags, invalidations and configs. */
  restore(state: SimulationState): void {
    this.distributions.restore(state.distributions);
    this.invalidations.list.splice(0, this.invalidations.list.length, ...clone(state.invalidations));
    this.realtimeLogConfigs.restore(state.realtimeLogConfigs);
    this.cachePolicies.restore(state.cachePolicies ?? []);
    this.headersPolicies.restore(state.responseHeadersPolicies ?? []);
    // A file from before tenants or stores existed keeps the ones this run began with.
    if (state.tenants) this.tenants.restore(state.tenants);
    if (state.keyValueStores) this.keyValueStores.restore(state.keyValueStores);
    if (state.continuousDeploymentPolicies) this.staging.restore(state.continuousDeploymentPolicies);
  }

  /** Someone else (the console, Terraform) changes the distribution: a new ETag and a deploy. */
  editElsewhere(distributionId: string, edit: (config: DistributionConfig) => void): void {
    this.distributions.editElsewhere(distributionId, edit);
  }

  async getDistribution(distributionId: string): Promise<DistributionInfo> {
    await this.answer();
    const d = this.distributions.get(distributionId);
    return {
      id: d.id,
      arn: `arn:aws:cloudfront::${SIMULATED_ACCOUNT}:distribution/${d.id}`,
      domainName: this.distributions.domainName(d),
      aliases: d.config.Aliases?.Items ?? [],
      status: this.distributions.status(d),
      ...(d.config.CacheTagConfig?.HeaderName ? { cacheTagHeader: d.config.CacheTagConfig.HeaderName } : {}),
      enabled: d.config.Enabled ?? false,
      comment: d.config.Comment ?? "",
      lastModified: new Date(d.lastModified),
    };
  }

  async getDistributionTags(distributionId: string): Promise<Record<string, string>> {
    await this.answer();
    return { ...this.distributions.get(distributionId).tags };
  }

  async createInvalidation(
    distributionId: string,
    paths: string[],
    callerReference: string,
  ): Promise<InvalidationInfo> {
    await this.answer();
    return this.invalidate(this.distributions.get(distributionId).id, paths, callerReference);
  }

  /**
   * An invalidation of a distribution or of a tenant (`owner`: the id it is kept under, so a
   * tenant's are never listed under its parent): the body checked against the service model first.
   */
  private invalidate(owner: string, paths: string[], callerReference: string): InvalidationInfo {
    refuseMalformed("InvalidationBatch", invalidationBatch(paths, callerReference));
    const before = this.invalidations.list.length;
    const invalidation = this.invalidations.create(owner, paths, callerReference);
    if (this.invalidations.list.length > before) this.onChange?.();
    return this.info(invalidation);
  }

  async getInvalidation(distributionId: string, invalidationId: string): Promise<InvalidationInfo> {
    await this.answer();
    this.distributions.get(distributionId);
    return this.info(this.invalidations.find(distributionId, invalidationId));
  }

  async listInvalidations(distributionId: string, maxItems = 100): Promise<InvalidationInfo[]> {
    await this.answer();
    this.distributions.get(distributionId);
    return this.invalidations.newest(distributionId, maxItems).map((i) => {
      // ListInvalidations gives summaries: id, status and creation time, not the paths.
      const { paths: _paths, callerReference: _ref, ...summary } = this.info(i);
      return summary;
    });
  }

  async getDistributionConfig(distributionId: string): Promise<{ config: DistributionConfig; etag: string }> {
    await this.answer();
    const d = this.distributions.get(distributionId);
    return { config: clone(d.config), etag: d.etag };
  }

  async updateDistribution(
    distributionId: string,
    config: DistributionConfig,
    ifMatch: string,
  ): Promise<{ etag: string; status: string; requestId?: string }> {
    await this.answer();
    refuseMalformed("DistributionConfig", config);
    const d = this.distributions.update(distributionId, config, ifMatch);
    return { etag: d.etag, status: "InProgress", requestId: this.requestId() };
  }

  async createDistribution(
    config: DistributionConfig,
  ): Promise<{ id: string; domainName: string; etag: string; status: string; requestId?: string }> {
    await this.answer();
    refuseMalformed("DistributionConfig", config);
    const d = this.distributions.create(config);
    return {
      id: d.id,
      domainName: this.distributions.domainName(d),
      etag: d.etag,
      status: "InProgress",
      requestId: this.requestId(),
    };
  }

  async listDistributions(): Promise<DistributionSummary[]> {
    await this.answer();
    return this.distributions.list().map((d) => ({
      id: d.id,
      domainName: this.distributions.domainName(d),
      status: this.distributions.status(d),
      ...(d.config.CacheTagConfig?.HeaderName ? { cacheTagHeader: d.config.CacheTagConfig.HeaderName } : {}),
      enabled: d.config.Enabled ?? false,
      comment: d.config.Comment ?? "",
      staging: d.config.Staging ?? false,
    }));
  }

  /** The staging copy the distribution's continuous deployment policy sends traffic to now, if any. */
  servingStagingOf(primaryId: string): string | undefined {
    return this.staging.servingCopyOf(primaryId)?.id;
  }

  /** Whether the distribution is a staging copy (continuous deployment's). */
  isStagingCopy(id: string): boolean {
    return this.distributions.list().some((d) => d.id === id && d.config.Staging === true);
  }

  async copyToStaging(
    primaryId: string,
    callerReference: string,
    ifMatch: string,
  ): Promise<{ id: string; domainName: string; etag: string; requestId?: string }> {
    await this.answer();
    const d = this.staging.copy(primaryId, callerReference, ifMatch, { staging: true, enabled: true });
    this.onChange?.();
    return {
      id: d.id,
      domainName: this.distributions.domainName(d),
      etag: d.etag,
      requestId: this.requestId(),
    };
  }

  async getContinuousDeploymentPolicy(
    policyId: string,
  ): Promise<{ config: ContinuousDeploymentPolicyConfig; etag: string }> {
    await this.answer();
    const policy = this.staging.policy(policyId);
    return { config: clone(policy.config), etag: policy.etag };
  }

  async createContinuousDeploymentPolicy(
    config: ContinuousDeploymentPolicyConfig,
  ): Promise<{ id: string; etag: string; requestId?: string }> {
    await this.answer();
    refuseMalformed("ContinuousDeploymentPolicyConfig", config);
    const policy = this.staging.createPolicy(config);
    this.onChange?.();
    return { id: policy.id, etag: policy.etag, requestId: this.requestId() };
  }

  async updateContinuousDeploymentPolicy(
    policyId: string,
    config: ContinuousDeploymentPolicyConfig,
    ifMatch: string,
  ): Promise<{ etag: string; requestId?: string }> {
    await this.answer();
    refuseMalformed("ContinuousDeploymentPolicyConfig", config);
    const policy = this.staging.updatePolicy(policyId, config, ifMatch);
    this.onChange?.();
    return { etag: policy.etag, requestId: this.requestId() };
  }

  async promoteStagingConfig(
    primaryId: string,
    stagingId: string,
    ifMatch: string,
  ): Promise<{ etag: string; requestId?: string }> {
    await this.answer();
    const d = this.staging.promote(primaryId, stagingId, ifMatch);
    return { etag: d.etag, requestId: this.requestId() };
  }

  async setDistributionWebAcl(
    distributionId: string,
    webAclArn: string | null,
    ifMatch: string,
  ): Promise<{ etag: string; requestId?: string }> {
    await this.answer();
    const d = this.distributions.setWebAcl(distributionId, webAclArn, ifMatch);
    return { etag: d.etag, requestId: this.requestId() };
  }

  async deleteDistribution(distributionId: string, ifMatch: string): Promise<{ requestId?: string }> {
    await this.answer();
    this.distributions.delete(distributionId, ifMatch);
    return { requestId: this.requestId() };
  }

  async listDistributionTenants(distributionId: string): Promise<TenantInfo[]> {
    await this.answer();
    this.distributions.get(distributionId);
    // A list gives summaries: no parameters.
    return this.tenants
      .of(distributionId)
      .map((t) => ({ ...tenantInfo(t, this.tenants.status(t)), parameters: [] }));
  }

  async getDistributionTenant(identifier: string): Promise<TenantInfo> {
    await this.answer();
    const t = this.tenants.get(identifier);
    return { ...tenantInfo(t, this.tenants.status(t)), etag: t.etag };
  }

  async getTenantDocument(
    tenantId: string,
  ): Promise<{ config: TenantDocument; etag: string; status: string }> {
    await this.answer();
    const t = this.tenants.get(tenantId);
    return { config: tenantDocument(t), etag: t.etag, status: this.tenants.status(t) };
  }

  async updateDistributionTenant(
    tenantId: string,
    tenant: TenantDocument,
    ifMatch: string,
  ): Promise<{ etag: string; requestId?: string }> {
    await this.answer();
    const definitions =
      this.distributions.get(this.tenants.get(tenantId).distributionId).config.TenantConfig
        ?.ParameterDefinitions ?? [];
    const t = this.tenants.update(tenantId, tenantUpdate(tenant), ifMatch, definitions);
    this.onChange?.();
    return { etag: t.etag, requestId: this.requestId() };
  }

  async setTenantWebAcl(
    tenantId: string,
    webAclArn: string | null,
    ifMatch: string,
  ): Promise<{ etag: string; requestId?: string }> {
    await this.answer();
    const t = this.tenants.setWebAcl(tenantId, webAclArn, ifMatch);
    this.onChange?.();
    return { etag: t.etag, requestId: this.requestId() };
  }

  async getDistributionTenantByDomain(domain: string): Promise<TenantInfo> {
    await this.answer();
    const t = this.tenants.byDomain(domain);
    if (!t) throw awsError("EntityNotFound", "No distribution tenant serves this domain.", 404);
    return { ...tenantInfo(t, this.tenants.status(t)), etag: t.etag };
  }

  async createTenantInvalidation(
    tenantId: string,
    paths: string[],
    callerReference: string,
  ): Promise<InvalidationInfo> {
    await this.answer();
    return this.invalidate(this.tenants.get(tenantId).id, paths, callerReference);
  }

  async getTenantInvalidation(tenantId: string, invalidationId: string): Promise<InvalidationInfo> {
    await this.answer();
    return this.info(this.invalidations.find(this.tenants.get(tenantId).id, invalidationId));
  }

  async getCachePolicyConfig(policyId: string): Promise<{ config: CachePolicyConfig; etag: string }> {
    await this.answer();
    const policy = this.cachePolicies.get(policyId);
    return { config: clone(policy.config), etag: policy.etag };
  }

  async updateCachePolicy(
    policyId: string,
    config: CachePolicyConfig,
    ifMatch: string,
  ): Promise<{ etag: string; requestId?: string }> {
    await this.answer();
    refuseMalformed("CachePolicyConfig", config);
    const policy = this.cachePolicies.update(policyId, config, ifMatch);
    this.distributions.deployUsersOf("CachePolicyId", policyId);
    return { etag: policy.etag, requestId: this.requestId() };
  }

  async createCachePolicy(
    config: CachePolicyConfig,
  ): Promise<{ id: string; etag: string; requestId?: string }> {
    await this.answer();
    refuseMalformed("CachePolicyConfig", config);
    const policy = this.cachePolicies.create(config);
    this.onChange?.();
    return { id: policy.id, etag: policy.etag, requestId: this.requestId() };
  }

  async findCustomCachePolicy(name: string): Promise<string | undefined> {
    await this.answer();
    return this.cachePolicies.named(name)?.id;
  }

  async listManagedCachePolicyIds(): Promise<string[]> {
    await this.answer();
    return this.cachePolicies.list("managed").map((p) => p.id);
  }

  async listDistributionsByCachePolicy(policyId: string): Promise<string[]> {
    await this.answer();
    this.cachePolicies.get(policyId);
    return this.distributions.usersOf("CachePolicyId", policyId).map((d) => d.id);
  }

  async listResponseHeadersPolicies(): Promise<ResponseHeadersPolicySummary[]> {
    await this.answer();
    return this.headersPolicies
      .list()
      .map((p) => ({ id: p.id, name: p.config.Name ?? "", managed: p.managed }));
  }

  async getResponseHeadersPolicyConfig(
    policyId: string,
  ): Promise<{ config: ResponseHeadersPolicyConfig; etag: string }> {
    await this.answer();
    const policy = this.headersPolicies.get(policyId);
    return { config: clone(policy.config), etag: policy.etag };
  }

  async updateResponseHeadersPolicy(
    policyId: string,
    config: ResponseHeadersPolicyConfig,
    ifMatch: string,
  ): Promise<{ etag: string; requestId?: string }> {
    await this.answer();
    refuseMalformed("ResponseHeadersPolicyConfig", config);
    const policy = this.headersPolicies.update(policyId, config, ifMatch);
    this.distributions.deployUsersOf("ResponseHeadersPolicyId", policyId);
    return { etag: policy.etag, requestId: this.requestId() };
  }

  async createResponseHeadersPolicy(
    config: ResponseHeadersPolicyConfig,
  ): Promise<{ id: string; requestId?: string }> {
    await this.answer();
    refuseMalformed("ResponseHeadersPolicyConfig", config);
    const policy = this.headersPolicies.create(config);
    this.onChange?.();
    return { id: policy.id, requestId: this.requestId() };
  }

  async listDistributionsByResponseHeadersPolicy(policyId: string): Promise<string[]> {
    await this.answer();
    this.headersPolicies.get(policyId);
    return this.distributions.usersOf("ResponseHeadersPolicyId", policyId).map((d) => d.id);
  }

  async describeKeyValueStore(
    arn: string,
  ): Promise<{ etag: string; itemCount: number; totalSizeInBytes: number; status?: string }> {
    await this.answer();
    const store = this.keyValueStores.get(arn);
    return {
      etag: store.etag,
      itemCount: Object.keys(store.items).length,
      totalSizeInBytes: this.keyValueStores.size(store),
      status: "READY",
    };
  }

  async getKey(arn: string, key: string): Promise<string | undefined> {
    await this.answer();
    return this.keyValueStores.get(arn).items[key];
  }

  async listKeys(arn: string): Promise<{ key: string; value: string }[]> {
    await this.answer();
    return Object.entries(this.keyValueStores.get(arn).items).map(([key, value]) => ({ key, value }));
  }

  async updateKeys(
    arn: string,
    puts: { key: string; value: string }[],
    deletes: string[],
    ifMatch: string,
  ): Promise<{ etag: string; requestId?: string }> {
    await this.answer();
    let store: KeyValueStore;
    try {
      store = this.keyValueStores.update(arn, puts, deletes, ifMatch);
    } catch (error) {
      // As the gateway does with AWS's answer: a stale If-Match is a stale ETag.
      throw asStaleEtag(error);
    }
    this.onChange?.();
    return { etag: store.etag, requestId: this.requestId() };
  }

  async listRealtimeLogConfigs(): Promise<RealtimeLogConfigInfo[]> {
    await this.answer();
    return this.realtimeLogConfigs.list();
  }

  async createRealtimeLogConfig(input: RealtimeLogConfigInput): Promise<{ arn: string; requestId?: string }> {
    await this.answer();
    const { arn } = this.realtimeLogConfigs.create(input);
    this.onChange?.();
    return { arn, requestId: this.requestId() };
  }

  async updateRealtimeLogConfig(input: RealtimeLogConfigInput): Promise<{ arn: string; requestId?: string }> {
    await this.answer();
    const { arn } = this.realtimeLogConfigs.update(input);
    this.onChange?.();
    return { arn, requestId: this.requestId() };
  }

  /** Every call: the trouble the panel asked for, then the answer. */
  private async answer(): Promise<void> {
    if (this.trouble.latencyMs > 0) await new Promise((r) => setTimeout(r, this.trouble.latencyMs));
    if (this.trouble.throttling) throw awsError("Throttling", "Rate exceeded", 400);
  }

  private info(i: Invalidation): InvalidationInfo {
    return { ...this.invalidations.info(i), requestId: this.requestId() };
  }

  private duration([min, max]: [number, number]): number {
    return (min + this.random() * (max - min)) / this.timing.speed;
  }

  private newETag(): string {
    return `E${this.randomId(13)}`;
  }

  private requestId(): string {
    return `sim-${++this.counter}`;
  }

  private randomId(length: number): string {
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    return Array.from({ length }, () => alphabet[Math.floor(this.random() * alphabet.length)]).join("");
  }
}
