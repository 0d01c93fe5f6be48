// The KeyValueStore data plane signs with SigV4A (its endpoint is global): this registers the SDK's
// pure-JS SigV4A signer, so no native CRT module is needed.
import "@aws-sdk/signature-v4a";
import {
  CloudFrontKeyValueStoreClient,
  type CloudFrontKeyValueStoreClientConfig,
  DescribeKeyValueStoreCommand,
  GetKeyCommand,
  ListKeysCommand,
  UpdateKeysCommand,
} from "@aws-sdk/client-cloudfront-keyvaluestore";
import type { RoleCredentials } from "./assumed-role.js";
import { asStaleEtag } from "./aws-errors.js";
import { type AwsTimeouts, awsClientTimeouts, DEFAULT_AWS_TIMEOUTS } from "./aws-timeouts.js";
import type { CloudFrontGateway } from "./cloudfront-gateway.js";

type EndpointProvider = NonNullable<CloudFrontKeyValueStoreClientConfig["endpointProvider"]>;

/** The most keys a listing reads (ListKeys pages 50 at a time): a store holds at most 5 MB. */
const MAX_LISTED = 1_000;

/**
 * A client for CloudFront's KeyValueStore data plane. AWS's endpoint rules put the store's account in
 * front of the host (`<account>.cloudfront-kvs.global.api.aws`); an `endpoint` given (the
 * environment's AWS_ENDPOINT_URL_CLOUDFRONT_KEYVALUESTORE) is used as it is, still signed with
 * SigV4A for every region (`*`), as the real one is.
 */
export function createKeyValueStoreClient(
  timeouts: AwsTimeouts = DEFAULT_AWS_TIMEOUTS,
  credentials?: RoleCredentials,
  endpoint?: string,
): CloudFrontKeyValueStoreClient {
  return new CloudFrontKeyValueStoreClient({
    region: "us-east-1",
    ...awsClientTimeouts(timeouts),
    ...(credentials ? { credentials } : {}),
    ...(endpoint
      ? {
          endpointProvider: (() =>
            ({
              url: new URL(endpoint),
              properties: {
                authSchemes: [
                  { name: "sigv4a", signingName: "cloudfront-keyvaluestore", signingRegionSet: ["*"] },
                ],
              },
            }) as unknown as ReturnType<EndpointProvider>) satisfies EndpointProvider,
        }
      : {}),
  });
}

/** Reads and writes of key-value stores, by ARN; every write carries the store's ETag as If-Match. */
export function keyValueStoreCalls(
  client: CloudFrontKeyValueStoreClient,
): Pick<CloudFrontGateway, "describeKeyValueStore" | "getKey" | "listKeys" | "updateKeys"> {
  return {
    async describeKeyValueStore(arn) {
      const out = await client.send(new DescribeKeyValueStoreCommand({ KvsARN: arn }));
      if (!out.ETag) throw new Error(`DescribeKeyValueStore returned no ETag for ${arn}`);
      return {
        etag: out.ETag,
        itemCount: out.ItemCount ?? 0,
        totalSizeInBytes: out.TotalSizeInBytes ?? 0,
        ...(out.Status ? { status: out.Status } : {}),
      };
    },

    async getKey(arn, key) {
      try {
        return (await client.send(new GetKeyCommand({ KvsARN: arn, Key: key }))).Value;
      } catch (error) {
        // A key the store does not hold: nothing, as a read of it means.
        if ((error as Error).name === "ResourceNotFoundException") return undefined;
        throw error;
      }
    },

    async listKeys(arn) {
      const all: { key: string; value: string }[] = [];
      let next: string | undefined;
      do {
        const out = await client.send(
          new ListKeysCommand({ KvsARN: arn, MaxResults: 50, ...(next ? { NextToken: next } : {}) }),
        );
        all.push(...(out.Items ?? []).map((i) => ({ key: i.Key ?? "", value: i.Value ?? "" })));
        next = out.NextToken;
      } while (next && all.length < MAX_LISTED);
      return all;
    },

    async updateKeys(arn, puts, deletes, ifMatch) {
      try {
        const out = await client.send(
          new UpdateKeysCommand({
            KvsARN: arn,
            IfMatch: ifMatch,
            ...(puts.length > 0 ? { Puts: puts.map((p) => ({ Key: p.key, Value: p.value })) } : {}),
            ...(deletes.length > 0 ? { Deletes: deletes.map((Key) => ({ Key })) } : {}),
          }),
        );
        const requestId = out.$metadata?.requestId;
        return { etag: out.ETag ?? "", ...(requestId ? { requestId } : {}) };
      } catch (error) {
        throw asStaleEtag(error);
      }
    },
  };
}
