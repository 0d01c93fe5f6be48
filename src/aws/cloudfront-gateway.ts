import {
  type CachePolicyConfig,
  CloudFrontClient,
  CreateCachePolicyCommand,
  CreateDistributionCommand,
  CreateInvalidationCommand,
  CreateRealtimeLogConfigCommand,
  CreateResponseHeadersPolicyCommand,
  DeleteDistributionCommand,
  type DistributionConfig,
  GetCachePolicyConfigCommand,
  GetDistributionCommand,
  GetDistributionConfigCommand,
  GetInvalidationCommand,
  GetResponseHeadersPolicyConfigCommand,
  ListCachePoliciesCommand,
  ListDistributionsByCachePolicyIdCommand,
  ListDistributionsByResponseHeadersPolicyIdCommand,
  ListDistributionsCommand,
  ListInvalidationsCommand,
  ListRealtimeLogConfigsCommand,
  ListResponseHeadersPoliciesCommand,
  type RealtimeLogConfig,
  type ResponseHeadersPolicyConfig,
  UpdateCachePolicyCommand,
  UpdateDistributionCommand,
  UpdateRealtimeLogConfigCommand,
  UpdateResponseHeadersPolicyCommand,
} from "@aws-sdk/client-cloudfront";
import type { RoleCredentials } from "./assumed-role.js";
import { type AwsTimeouts, awsClientTimeouts, DEFAULT_AWS_TIMEOUTS } from "./aws-timeouts.js";

// The domain works on CloudFront's own config shape; it gets the type from here, not from the SDK.
export type {
  CachePolicyConfig,
  DistributionConfig,
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
};

/** A distribution as ListDistributions shows it. */
export type DistributionSummary = {
  id: string;
  domainName: string;
  status: string;
  enabled: boolean;
  comment: string;
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

export interface CloudFrontGateway {
  getDistribution(distributionId: string): Promise<DistributionInfo>;
  createInvalidation(
    distributionId: string,
    paths: string[],
    callerReference: string,
  ): Promise<InvalidationInfo>;
  getInvalidation(distributionId: string, invalidationId: string): Promise<InvalidationInfo>;
  /** The most recent invalidations, newest first (one page). */
  listInvalidations(distributionId: string, maxItems?: number): Promise<InvalidationInfo[]>;
  /** The config and the ETag that an update of it must send as If-Match. */
  getDistributionConfig(distributionId: string): Promise<{ config: DistributionConfig; etag: string }>;
  updateDistribution(
    distributionId: string,
    config: DistributionConfig,
    ifMatch: string,
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
  listRealtimeLogConfigs(): Promise<RealtimeLogConfigInfo[]>;
  createRealtimeLogConfig(input: RealtimeLogConfigInput): Promise<{ arn: string; requestId?: string }>;
  updateRealtimeLogConfig(input: RealtimeLogConfigInput): Promise<{ arn: string; requestId?: string }>;
}

/** What purges need: reading a distribution and its invalidations, creating invalidations. */
export type InvalidationGateway = Pick<
  CloudFrontGateway,
  "getDistribution" | "createInvalidation" | "getInvalidation" | "listInvalidations"
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

/**
 * Every page of a list call that pages with a Marker, their items in order. Bounded: paging that
 * never ends (a bug on either side) stops after `maxPages` instead of looping.
 */
async function allPages<T>(
  page: (marker: string | undefined) => Promise<{ items: T[]; next: string | undefined }>,
  maxPages = 100,
): Promise<T[]> {
  const all: T[] = [];
  let marker: string | undefined;
  for (let n = 0; n < maxPages; n++) {
    const { items, next } = await page(marker);
    all.push(...items);
    if (!next) break;
    marker = next;
  }
  return all;
}

export function normalizeInvalidationStatus(status: string | undefined): InvalidationStatus {
  // AWS documents `InProgress` and `Completed`; be tolerant of casing so no poll loops forever on a variant.
  return status?.toLowerCase() === "completed" ? "Completed" : "InProgress";
}

export function createCloudFrontGateway(
  client: CloudFrontClient = createCloudFrontClient(),
): CloudFrontGateway {
  const realtimeInput = (input: RealtimeLogConfigInput) => ({
    Name: input.name,
    SamplingRate: input.samplingRate,
    Fields: input.fields,
    EndPoints: [
      { StreamType: "Kinesis", KinesisStreamConfig: { StreamARN: input.streamArn, RoleARN: input.roleArn } },
    ],
  });
  return {
    async getDistributionConfig(distributionId) {
      const out = await client.send(new GetDistributionConfigCommand({ Id: distributionId }));
      if (!out.DistributionConfig || !out.ETag)
        throw new Error(`GetDistributionConfig returned no config for ${distributionId}`);
      return { config: out.DistributionConfig, etag: out.ETag };
    },

    async updateDistribution(distributionId, config, ifMatch) {
      const out = await client.send(
        new UpdateDistributionCommand({ Id: distributionId, IfMatch: ifMatch, DistributionConfig: config }),
      );
      const requestId = out.$metadata?.requestId;
      return {
        etag: out.ETag ?? "",
        status: out.Distribution?.Status ?? "InProgress",
        ...(requestId ? { requestId } : {}),
      };
    },

    async createDistribution(config) {
      const out = await client.send(new CreateDistributionCommand({ DistributionConfig: config }));
      const dist = out.Distribution;
      if (!dist?.Id) throw new Error("CreateDistribution returned no distribution");
      const requestId = out.$metadata?.requestId;
      return {
        id: dist.Id,
        domainName: dist.DomainName ?? "",
        etag: out.ETag ?? "",
        status: dist.Status ?? "InProgress",
        ...(requestId ? { requestId } : {}),
      };
    },

    async listDistributions() {
      // A page holds at most 1000; an account's quota is a few hundred, so this is a page or two.
      return allPages(async (marker) => {
        const out = await client.send(
          new ListDistributionsCommand({ MaxItems: 1000, ...(marker ? { Marker: marker } : {}) }),
        );
        const list = out.DistributionList;
        return {
          items: (list?.Items ?? []).flatMap((item) =>
            item.Id
              ? [
                  {
                    id: item.Id,
                    domainName: item.DomainName ?? "",
                    status: item.Status ?? "Unknown",
                    enabled: item.Enabled ?? false,
                    comment: item.Comment ?? "",
                  },
                ]
              : [],
          ),
          next: list?.IsTruncated ? list.NextMarker : undefined,
        };
      });
    },

    async deleteDistribution(distributionId, ifMatch) {
      const out = await client.send(new DeleteDistributionCommand({ Id: distributionId, IfMatch: ifMatch }));
      const requestId = out.$metadata?.requestId;
      return requestId ? { requestId } : {};
    },

    async getCachePolicyConfig(policyId) {
      const out = await client.send(new GetCachePolicyConfigCommand({ Id: policyId }));
      if (!out.CachePolicyConfig || !out.ETag)
        throw new Error(`GetCachePolicyConfig returned no config for ${policyId}`);
      return { config: out.CachePolicyConfig, etag: out.ETag };
    },

    async updateCachePolicy(policyId, config, ifMatch) {
      const out = await client.send(
        new UpdateCachePolicyCommand({ Id: policyId, IfMatch: ifMatch, CachePolicyConfig: config }),
      );
      const requestId = out.$metadata?.requestId;
      return { etag: out.ETag ?? "", ...(requestId ? { requestId } : {}) };
    },

    async createCachePolicy(config) {
      const out = await client.send(new CreateCachePolicyCommand({ CachePolicyConfig: config }));
      if (!out.CachePolicy?.Id) throw new Error("CreateCachePolicy returned no policy");
      const requestId = out.$metadata?.requestId;
      return { id: out.CachePolicy.Id, etag: out.ETag ?? "", ...(requestId ? { requestId } : {}) };
    },

    async findCustomCachePolicy(name) {
      const custom = await allPages(async (marker) => {
        const out = await client.send(
          new ListCachePoliciesCommand({
            Type: "custom",
            MaxItems: 100,
            ...(marker ? { Marker: marker } : {}),
          }),
        );
        return { items: out.CachePolicyList?.Items ?? [], next: out.CachePolicyList?.NextMarker };
      });
      return custom.find((i) => i.CachePolicy?.CachePolicyConfig?.Name === name)?.CachePolicy?.Id;
    },

    async listManagedCachePolicyIds() {
      return allPages(async (marker) => {
        const out = await client.send(
          new ListCachePoliciesCommand({
            Type: "managed",
            MaxItems: 100,
            ...(marker ? { Marker: marker } : {}),
          }),
        );
        return {
          items: (out.CachePolicyList?.Items ?? []).flatMap((i) =>
            i.CachePolicy?.Id ? [i.CachePolicy.Id] : [],
          ),
          next: out.CachePolicyList?.NextMarker,
        };
      });
    },

    async listDistributionsByCachePolicy(policyId) {
      return allPages(async (marker) => {
        const out = await client.send(
          new ListDistributionsByCachePolicyIdCommand({
            CachePolicyId: policyId,
            MaxItems: 100,
            ...(marker ? { Marker: marker } : {}),
          }),
        );
        const list = out.DistributionIdList;
        return { items: list?.Items ?? [], next: list?.IsTruncated ? list.NextMarker : undefined };
      });
    },

    async listResponseHeadersPolicies() {
      return allPages(async (marker) => {
        const out = await client.send(
          new ListResponseHeadersPoliciesCommand({ MaxItems: 100, ...(marker ? { Marker: marker } : {}) }),
        );
        return {
          items: (out.ResponseHeadersPolicyList?.Items ?? []).flatMap((item) => {
            const policy = item.ResponseHeadersPolicy;
            return policy?.Id
              ? [
                  {
                    id: policy.Id,
                    name: policy.ResponseHeadersPolicyConfig?.Name ?? policy.Id,
                    managed: item.Type === "managed",
                  },
                ]
              : [];
          }),
          next: out.ResponseHeadersPolicyList?.NextMarker,
        };
      });
    },

    async getResponseHeadersPolicyConfig(policyId) {
      const out = await client.send(new GetResponseHeadersPolicyConfigCommand({ Id: policyId }));
      if (!out.ResponseHeadersPolicyConfig || !out.ETag)
        throw new Error(`GetResponseHeadersPolicyConfig returned no config for ${policyId}`);
      return { config: out.ResponseHeadersPolicyConfig, etag: out.ETag };
    },

    async updateResponseHeadersPolicy(policyId, config, ifMatch) {
      const out = await client.send(
        new UpdateResponseHeadersPolicyCommand({
          Id: policyId,
          IfMatch: ifMatch,
          ResponseHeadersPolicyConfig: config,
        }),
      );
      const requestId = out.$metadata?.requestId;
      return { etag: out.ETag ?? "", ...(requestId ? { requestId } : {}) };
    },

    async createResponseHeadersPolicy(config) {
      const out = await client.send(
        new CreateResponseHeadersPolicyCommand({ ResponseHeadersPolicyConfig: config }),
      );
      if (!out.ResponseHeadersPolicy?.Id) throw new Error("CreateResponseHeadersPolicy returned no policy");
      const requestId = out.$metadata?.requestId;
      return { id: out.ResponseHeadersPolicy.Id, ...(requestId ? { requestId } : {}) };
    },

    async listDistributionsByResponseHeadersPolicy(policyId) {
      return allPages(async (marker) => {
        const out = await client.send(
          new ListDistributionsByResponseHeadersPolicyIdCommand({
            ResponseHeadersPolicyId: policyId,
            MaxItems: 100,
            ...(marker ? { Marker: marker } : {}),
          }),
        );
        const list = out.DistributionIdList;
        return { items: list?.Items ?? [], next: list?.IsTruncated ? list.NextMarker : undefined };
      });
    },

    async listRealtimeLogConfigs() {
      const out = await client.send(new ListRealtimeLogConfigsCommand({}));
      return (out.RealtimeLogConfigs?.Items ?? []).map(toRealtimeInfo);
    },

    async createRealtimeLogConfig(input) {
      const out = await client.send(new CreateRealtimeLogConfigCommand(realtimeInput(input)));
      const requestId = out.$metadata?.requestId;
      return { arn: out.RealtimeLogConfig?.ARN ?? "", ...(requestId ? { requestId } : {}) };
    },

    async updateRealtimeLogConfig(input) {
      const out = await client.send(new UpdateRealtimeLogConfigCommand(realtimeInput(input)));
      const requestId = out.$metadata?.requestId;
      return { arn: out.RealtimeLogConfig?.ARN ?? "", ...(requestId ? { requestId } : {}) };
    },

    async getDistribution(distributionId) {
      const out = await client.send(new GetDistributionCommand({ Id: distributionId }));
      const dist = out.Distribution;
      if (!dist?.Id) throw new Error(`GetDistribution returned no distribution for ${distributionId}`);
      const config = dist.DistributionConfig;
      return {
        id: dist.Id,
        arn: dist.ARN ?? "",
        domainName: dist.DomainName ?? "",
        aliases: config?.Aliases?.Items ?? [],
        status: dist.Status ?? "Unknown",
        enabled: config?.Enabled ?? false,
        comment: config?.Comment ?? "",
        ...(dist.LastModifiedTime ? { lastModified: dist.LastModifiedTime } : {}),
      };
    },

    async createInvalidation(distributionId, paths, callerReference) {
      const out = await client.send(
        new CreateInvalidationCommand({
          DistributionId: distributionId,
          InvalidationBatch: {
            CallerReference: callerReference,
            Paths: { Quantity: paths.length, Items: paths },
          },
        }),
      );
      const inv = out.Invalidation;
      if (!inv?.Id) throw new Error(`CreateInvalidation returned no invalidation for ${distributionId}`);
      const requestId = out.$metadata?.requestId;
      return { ...toInvalidationInfo(inv), ...(requestId ? { requestId } : {}) };
    },

    async getInvalidation(distributionId, invalidationId) {
      const out = await client.send(
        new GetInvalidationCommand({ DistributionId: distributionId, Id: invalidationId }),
      );
      const inv = out.Invalidation;
      if (!inv?.Id) throw new Error(`GetInvalidation returned nothing for ${invalidationId}`);
      return toInvalidationInfo(inv);
    },

    async listInvalidations(distributionId, maxItems = 100) {
      const out = await client.send(
        new ListInvalidationsCommand({ DistributionId: distributionId, MaxItems: maxItems }),
      );
      return (out.InvalidationList?.Items ?? [])
        .filter((item) => item.Id)
        .map((item) => ({
          id: item.Id!,
          status: normalizeInvalidationStatus(item.Status),
          ...(item.CreateTime ? { createTime: item.CreateTime } : {}),
        }));
    },
  };
}

type SdkInvalidation = {
  Id?: string;
  Status?: string;
  CreateTime?: Date;
  InvalidationBatch?: { CallerReference?: string; Paths?: { Items?: string[] } };
};

function toInvalidationInfo(inv: SdkInvalidation): InvalidationInfo {
  return {
    id: inv.Id!,
    status: normalizeInvalidationStatus(inv.Status),
    ...(inv.CreateTime ? { createTime: inv.CreateTime } : {}),
    ...(inv.InvalidationBatch?.Paths?.Items ? { paths: inv.InvalidationBatch.Paths.Items } : {}),
    ...(inv.InvalidationBatch?.CallerReference
      ? { callerReference: inv.InvalidationBatch.CallerReference }
      : {}),
  };
}

function toRealtimeInfo(c: RealtimeLogConfig): RealtimeLogConfigInfo {
  const kinesis = c.EndPoints?.[0]?.KinesisStreamConfig;
  return {
    name: c.Name ?? "",
    arn: c.ARN ?? "",
    samplingRate: c.SamplingRate ?? 0,
    fields: c.Fields ?? [],
    streamArn: kinesis?.StreamARN ?? "",
    roleArn: kinesis?.RoleARN ?? "",
  };
}
