import {
  type CloudFrontClient,
  CreateInvalidationCommand,
  GetInvalidationCommand,
  ListInvalidationsCommand,
} from "@aws-sdk/client-cloudfront";
import type { CloudFrontGateway, InvalidationInfo, InvalidationStatus } from "./cloudfront-gateway.js";

/** An invalidation's body as CloudFront takes it, for a distribution or a tenant alike. */
export function invalidationBatch(paths: string[], callerReference: string) {
  return { CallerReference: callerReference, Paths: { Quantity: paths.length, Items: paths } };
}

/** Invalidations: create (idempotent by CallerReference), read, list the newest. */
export function invalidationCalls(
  client: CloudFrontClient,
): Pick<CloudFrontGateway, "createInvalidation" | "getInvalidation" | "listInvalidations"> {
  return {
    async createInvalidation(distributionId, paths, callerReference) {
      const out = await client.send(
        new CreateInvalidationCommand({
          DistributionId: distributionId,
          InvalidationBatch: invalidationBatch(paths, callerReference),
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

export function toInvalidationInfo(inv: SdkInvalidation): InvalidationInfo {
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

function normalizeInvalidationStatus(status: string | undefined): InvalidationStatus {
  // AWS documents `InProgress` and `Completed`; be tolerant of casing so no poll loops forever on a variant.
  return status?.toLowerCase() === "completed" ? "Completed" : "InProgress";
}
