import {
  type CachePolicyConfig,
  CloudFrontClient,
  type ContinuousDeploymentPolicyConfig,
  type Customizations,
  type DistributionConfig,
  type ResponseHeadersPolicyConfig,
} from "@aws-sdk/client-cloudfront";
import type { CloudFrontKeyValueStoreClient } from "@aws-sdk/client-cloudfront-keyvaluestore";
import type { RoleCredentials } from "./assumed-role.js";
import { type AwsTimeouts, awsClientTimeouts, DEFAULT_AWS_TIMEOUTS } from "./aws-timeouts.js";
import { cachePolicyCalls } from "./cloudfront-cache-policy-calls.js";
import { distributionCalls, webAclCalls } from "./cloudfront-distribution-calls.js";
import { invalidationCalls } from "./cloudfront-invalidation-calls.js";
import { createKeyValueStoreClient, keyValueStoreCalls } from "./cloudfront-kvs-calls.js";
import { realtimeLogCalls } from "./cloudfront-realtime-log-calls.js";
import { responseHeadersPolicyCalls } from "./cloudfront-response-headers-calls.js";
import { stagingCalls } from "./cloudfront-staging-calls.js";
import { tenantCalls } from "./cloudfront-tenant-calls.js";

// The domain works on CloudFront's own config shape; it gets the type from here, not from the SDK.
export type {
  CachePolicyConfig,
  ContinuousDeploymentPolicyConfig,
  DistributionConfig,
  ParameterDefinition,
  ResponseHeadersPolicyConfig,
} from "@aws-sdk/client-cloudfront";

/** A response headers policy as listed: AWS's managed ones and the account's own. */
export type ResponseHeadersPolicySummary = { id: string; name: string; managed: boolean };

export type RealtimeLogConfigInfo = {
  name: string;
  arn: string;
  samplingRate: number;
  fields: string[];
  streamArn: string;
  roleArn: string;
};

export type RealtimeLogConfigInput = Omit<RealtimeLogConfigInfo, "arn">;

export type DistributionInfo = {
  id: string;
  arn: string;
  domainName: string;
  aliases: string[];
  /** `Deployed` or `InProgress`, as CloudFront says it. */
  status: string;
  enabled: boolean;
  comment: string;
  lastModified?: Date;
  /** The response header its origin names cache tags in, when tag purges are turned on. */
  cacheTagHeader?: string;
};

/** A distribution as ListDistributions shows it. */
export type DistributionSummary = {
  id: string;
  domainName: string;
  status: string;
  enabled: boolean;
  comment: string;
  /** A staging distribution (continuous deployment's copy of a primary). */
  staging: boolean;
};

export type InvalidationStatus = "InProgress" | "Completed";

export type InvalidationInfo = {
  id: string;
  status: InvalidationStatus;
  createTime?: Date;
  paths?: string[];
  callerReference?: string;
  /** AWS's id for the call that returned this, for the audit log. */
  requestId?: string;
};

/** A tenant of a multi-tenant distribution: its own domains, parameters and invalidations. */
export type TenantInfo = {
  id: string;
  distributionId: string;
  name: string;
  domains: string[];
  /** Only when read one by one (a list gives none). */
  parameters: { name: string; value: string }[];
  enabled: boolean;
  status: string;
  /** The ETag an update of it must send, when read one by one. */
  etag?: string;
  /** Its own AWS WAF web ACL, where it has one (else the distribution's applies). */
  webAclArn?: string;
};

/**
 * A tenant as a change reads and writes it: what UpdateDistributionTenant replaces (sent back whole,
 * as read, with the change's fields written on), its parameters by name, and its own web ACL.
 */
export type TenantDocument = {
  Name: string;
  DistributionId: string;
  Domains: string[];
  Enabled: boolean;
  Parameters: Record<string, string>;
  /** The tenant's own web ACL (its Customizations' WebAcl), "" where it has none of its own. */
  WebACLArn: string;
  /** Written back as read: certificate, geo restrictions, web ACL. */
  Customizations?: Customizations;
  ConnectionGroupId?: string;
};

export interface CloudFrontGateway {
  /**
   * A distribution; `likeDistributionId` says in whose account when it is not one the config names
   * (a staging copy lives in its primary's).
   */
  getDistribution(distributionId: string, likeDistributionId?: string): Promise<DistributionInfo>;
  /**
   * A distribution's resource tags (ListTagsForResource on its ARN), as key → value: who owns it
   * (CloudFormation tags its stacks' resources `aws:cloudformation:stack-name`; teams tag Terraform's).
   */
  getDistributionTags(distributionId: string): Promise<Record<string, string>>;
  createInvalidation(
    distributionId: string,
    paths: string[],
    callerReference: string,
  ): Promise<InvalidationInfo>;
  getInvalidation(distributionId: string, invalidationId: string): Promise<InvalidationInfo>;
  /** The most recent invalidations, newest first (one page). */
  listInvalidations(distributionId: string, maxItems?: number): Promise<InvalidationInfo[]>;
  /** The config and the ETag that an update of it must send as If-Match. */
  getDistributionConfig(
    distributionId: string,
    likeDistributionId?: string,
  ): Promise<{ config: DistributionConfig; etag: string }>;
  updateDistribution(
    distributionId: string,
    config: DistributionConfig,
    ifMatch: string,
    likeDistributionId?: string,
  ): Promise<{ etag: string; status: string; requestId?: string }>;
  /**
   * Makes a distribution. `config.CallerReference` makes it idempotent: AWS answers a repeat with
   * DistributionAlreadyExists. `likeDistributionId` says in whose account (that distribution's).
   */
  createDistribution(
    config: DistributionConfig,
    likeDistributionId: string,
  ): Promise<{ id: string; domainName: string; etag: string; status: string; requestId?: string }>;
  /** Every distribution of the account `likeDistributionId` lives in (all pages). */
  listDistributions(likeDistributionId: string): Promise<DistributionSummary[]>;
  /** Deletes a disabled, Deployed distribution; `ifMatch` is its ETag read just before. */
  deleteDistribution(distributionId: string, ifMatch: string): Promise<{ requestId?: string }>;
  /** The tenants of a multi-tenant distribution (all pages); none for another kind. */
  listDistributionTenants(distributionId: string): Promise<TenantInfo[]>;
  /** One tenant, by its id or its name, in the account of `likeDistributionId`. */
  getDistributionTenant(identifier: string, likeDistributionId: string): Promise<TenantInfo>;
  /** The tenant that serves `domain`, in the account of `likeDistributionId`. */
  getDistributionTenantByDomain(domain: string, likeDistributionId: string): Promise<TenantInfo>;
  /** CreateInvalidationForDistributionTenant: idempotent by `callerReference`, as for a distribution. */
  createTenantInvalidation(
    tenantId: string,
    paths: string[],
    callerReference: string,
    likeDistributionId: string,
  ): Promise<InvalidationInfo>;
  getTenantInvalidation(
    tenantId: string,
    invalidationId: string,
    likeDistributionId: string,
  ): Promise<InvalidationInfo>;
  /** A tenant as a change writes it, its ETag (for If-Match) and its status (`Deployed`, `InProgress`). */
  getTenantDocument(
    tenantId: string,
    likeDistributionId: string,
  ): Promise<{ config: TenantDocument; etag: string; status: string }>;
  /** UpdateDistributionTenant: the whole tenant, with the ETag read just before. */
  updateDistributionTenant(
    tenantId: string,
    tenant: TenantDocument,
    ifMatch: string,
    likeDistributionId: string,
  ): Promise<{ etag: string; requestId?: string }>;
  /**
   * A tenant's own web ACL: AssociateDistributionTenantWebACL, or (null)
   * DisassociateDistributionTenantWebACL; `ifMatch` is the tenant's ETag read just before.
   */
  setTenantWebAcl(
    tenantId: string,
    webAclArn: string | null,
    ifMatch: string,
    likeDistributionId: string,
  ): Promise<{ etag: string; requestId?: string }>;
  /**
   * Puts an AWS WAF web ACL in front of a distribution (AssociateDistributionWebACL), or takes it
   * away (`webAclArn` null: DisassociateDistributionWebACL); `ifMatch` is the distribution's ETag
   * read just before. Answers the distribution's new ETag.
   */
  setDistributionWebAcl(
    distributionId: string,
    webAclArn: string | null,
    ifMatch: string,
  ): Promise<{ etag: string; requestId?: string }>;
  /**
   * A cache policy's config and the ETag an update must send. Cache policies belong to an account:
   * `likeDistributionId` says whose (that distribution's).
   */
  getCachePolicyConfig(
    policyId: string,
    likeDistributionId: string,
  ): Promise<{ config: CachePolicyConfig; etag: string }>;
  updateCachePolicy(
    policyId: string,
    config: CachePolicyConfig,
    ifMatch: string,
    likeDistributionId: string,
  ): Promise<{ etag: string; requestId?: string }>;
  /** Makes a custom cache policy; its name is unique in the account (a repeat is CachePolicyAlreadyExists). */
  createCachePolicy(
    config: CachePolicyConfig,
    likeDistributionId: string,
  ): Promise<{ id: string; etag: string; requestId?: string }>;
  /** The custom cache policy of this name, if the account has one. */
  findCustomCachePolicy(name: string, likeDistributionId: string): Promise<string | undefined>;
  /** The ids of AWS's managed cache policies (read-only: a change makes a copy instead). */
  listManagedCachePolicyIds(likeDistributionId: string): Promise<string[]>;
  /** Every distribution of the account whose behaviours use this cache policy, by id. */
  listDistributionsByCachePolicy(policyId: string, likeDistributionId: string): Promise<string[]>;
  /** The response headers policies the account may attach (managed and custom). */
  listResponseHeadersPolicies(likeDistributionId: string): Promise<ResponseHeadersPolicySummary[]>;
  getResponseHeadersPolicyConfig(
    policyId: string,
    likeDistributionId: string,
  ): Promise<{ config: ResponseHeadersPolicyConfig; etag: string }>;
  updateResponseHeadersPolicy(
    policyId: string,
    config: ResponseHeadersPolicyConfig,
    ifMatch: string,
    likeDistributionId: string,
  ): Promise<{ etag: string; requestId?: string }>;
  /** Makes a custom response headers policy; its name is unique in the account. */
  createResponseHeadersPolicy(
    config: ResponseHeadersPolicyConfig,
    likeDistributionId: string,
  ): Promise<{ id: string; requestId?: string }>;
  /** Every distribution of the account whose behaviours use this response headers policy, by id. */
  listDistributionsByResponseHeadersPolicy(policyId: string, likeDistributionId: string): Promise<string[]>;
  /** A CloudFront KeyValueStore (its data plane, by ARN): its ETag, for a write's If-Match. */
  describeKeyValueStore(
    arn: string,
  ): Promise<{ etag: string; itemCount: number; totalSizeInBytes: number; status?: string }>;
  /** A key's value, or undefined when the store holds no such key. */
  getKey(arn: string, key: string): Promise<string | undefined>;
  /** The store's keys and values, in its order (at most 1,000). */
  listKeys(arn: string): Promise<{ key: string; value: string }[]>;
  /** UpdateKeys: puts and deletes at once, all or nothing, with the ETag read just before. */
  updateKeys(
    arn: string,
    puts: { key: string; value: string }[],
    deletes: string[],
    ifMatch: string,
  ): Promise<{ etag: string; requestId?: string }>;
  /**
   * CopyDistribution with `Staging`: the primary's staging copy (no aliases of its own), made with
   * the primary's ETag read just before. `callerReference` makes a retry find the same copy.
   */
  copyToStaging(
    primaryId: string,
    callerReference: string,
    ifMatch: string,
  ): Promise<{ id: string; domainName: string; etag: string; requestId?: string }>;
  /** A continuous deployment policy's config and the ETag an update must send (the primary's account). */
  getContinuousDeploymentPolicy(
    policyId: string,
    primaryId: string,
  ): Promise<{ config: ContinuousDeploymentPolicyConfig; etag: string }>;
  createContinuousDeploymentPolicy(
    config: ContinuousDeploymentPolicyConfig,
    primaryId: string,
  ): Promise<{ id: string; etag: string; requestId?: string }>;
  updateContinuousDeploymentPolicy(
    policyId: string,
    config: ContinuousDeploymentPolicyConfig,
    ifMatch: string,
    primaryId: string,
  ): Promise<{ etag: string; requestId?: string }>;
  /**
   * UpdateDistributionWithStagingConfig: the staging copy's config onto the primary; `ifMatch` holds
   * both ETags read just before, the primary's first (`"<primary>, <staging>"`).
   */
  promoteStagingConfig(
    primaryId: string,
    stagingId: string,
    ifMatch: string,
  ): Promise<{ etag: string; requestId?: string }>;
  listRealtimeLogConfigs(): Promise<RealtimeLogConfigInfo[]>;
  createRealtimeLogConfig(input: RealtimeLogConfigInput): Promise<{ arn: string; requestId?: string }>;
  updateRealtimeLogConfig(input: RealtimeLogConfigInput): Promise<{ arn: string; requestId?: string }>;
}

/** What purges need: reading a distribution and its invalidations, creating invalidations. */
export type InvalidationGateway = Pick<
  CloudFrontGateway,
  | "getDistribution"
  | "createInvalidation"
  | "getInvalidation"
  | "listInvalidations"
  | "createTenantInvalidation"
  | "getTenantInvalidation"
  | "getDistributionTenant"
>;

/** CloudFront's API is global: its endpoint lives in us-east-1 whatever the edge or the caller's region. */
export const CLOUDFRONT_REGION = "us-east-1";

export function createCloudFrontClient(
  timeouts: AwsTimeouts = DEFAULT_AWS_TIMEOUTS,
  credentials?: RoleCredentials,
): CloudFrontClient {
  // The endpoint and, unless a role is assumed, the credentials come from the SDK's standard chain
  // (AWS_ENDPOINT_URL_CLOUDFRONT, …).
  return new CloudFrontClient({
    region: CLOUDFRONT_REGION,
    ...awsClientTimeouts(timeouts),
    ...(credentials ? { credentials } : {}),
  });
}

/** CloudFront's API behind the gateway the domain calls: one client, each resource's calls. */
export function createCloudFrontGateway(
  client: CloudFrontClient = createCloudFrontClient(),
  keyValueStores: CloudFrontKeyValueStoreClient = createKeyValueStoreClient(),
  /** The account the credentials act in (a distribution's ARN is made from it). */
  accountId?: () => Promise<string>,
): CloudFrontGateway {
  return {
    ...keyValueStoreCalls(keyValueStores),
    ...distributionCalls(client, accountId),
    ...invalidationCalls(client),
    ...tenantCalls(client),
    ...webAclCalls(client),
    ...cachePolicyCalls(client),
    ...responseHeadersPolicyCalls(client),
    ...realtimeLogCalls(client),
    ...stagingCalls(client),
  };
}
