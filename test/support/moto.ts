import { type CloudFrontClient, CreateDistributionCommand } from "@aws-sdk/client-cloudfront";
import { type MotoServer, startMotoServer } from "../../src/sandbox/moto-server.js";

export type { MotoServer };

/** Starts moto_server for a test: the one the global set-up found or installed (moto-install.ts). */
export function startMoto(): Promise<MotoServer> {
  const python = process.env.CDNBOT_MOTO_PYTHON;
  return startMotoServer(python ? { command: python, args: ["-m", "moto.server"] } : undefined);
}

/** What a bot process needs to reach moto through the SDK's own endpoint variables. */
export function testAwsEnv(url: string): Record<string, string> {
  return {
    AWS_ACCESS_KEY_ID: "testing",
    AWS_SECRET_ACCESS_KEY: "testing",
    AWS_REGION: "eu-west-1",
    AWS_ENDPOINT_URL_CLOUDFRONT: url,
    AWS_ENDPOINT_URL_CLOUDWATCH: url,
    // The KeyValueStore data plane is the strict layer's too (moto serves none).
    AWS_ENDPOINT_URL_CLOUDFRONT_KEYVALUESTORE: url,
  };
}

let distributionCounter = 0;

export async function createTestDistribution(
  client: CloudFrontClient,
  opts: { comment?: string; aliases?: string[]; originDomain?: string } = {},
): Promise<{ id: string; domainName: string; arn: string }> {
  const aliases = opts.aliases ?? [];
  const out = await client.send(
    new CreateDistributionCommand({
      DistributionConfig: {
        CallerReference: `test-${process.pid}-${Date.now()}-${distributionCounter++}`,
        Comment: opts.comment ?? "cdnbot test distribution",
        Enabled: true,
        DefaultRootObject: "index.html",
        Aliases: { Quantity: aliases.length, Items: aliases },
        Origins: {
          Quantity: 1,
          Items: [
            {
              Id: "site",
              DomainName: opts.originDomain ?? "site-bucket.s3.amazonaws.com",
              OriginPath: "",
              S3OriginConfig: { OriginAccessIdentity: "" },
            },
          ],
        },
        DefaultCacheBehavior: {
          TargetOriginId: "site",
          ViewerProtocolPolicy: "redirect-to-https",
          // AWS's managed CachingOptimized policy.
          CachePolicyId: "658327ea-f89d-4fab-a63d-7e88639e58f6",
        },
        PriceClass: "PriceClass_100",
      },
    }),
  );
  const dist = out.Distribution;
  if (!dist?.Id || !dist.DomainName || !dist.ARN) throw new Error("moto created no distribution");
  return { id: dist.Id, domainName: dist.DomainName, arn: dist.ARN };
}
