import { type ChildProcess, spawn } from "node:child_process";
import { type CloudFrontClient, CreateDistributionCommand } from "@aws-sdk/client-cloudfront";
import { freePort } from "./bot-process.js";

export type MotoServer = { url: string; port: number; stop(): Promise<void>; reset(): Promise<void> };

function motoCommand(): { command: string; args: string[] } {
  // The global set-up found moto as a Python module (or installed it): see moto-install.ts.
  const python = process.env.CDNBOT_MOTO_PYTHON;
  if (python) return { command: python, args: ["-m", "moto.server"] };
  return { command: "moto_server", args: [] };
}

const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

/** Starts moto_server on a free loopback port and waits until it answers. */
export async function startMoto(): Promise<MotoServer> {
  const { command, args } = motoCommand();
  const port = await freePort();
  const child = spawn(command, [...args, "-H", "127.0.0.1", "-p", String(port)], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  running.add(child);
  let stderr = "";
  child.stderr?.on("data", (c: Buffer) => {
    stderr = (stderr + c.toString()).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const res = await fetch(`${url}/moto-api/`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`moto_server did not start on port ${port}:\n${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    port,
    async reset() {
      await fetch(`${url}/moto-api/reset`, { method: "POST" });
    },
    async stop() {
      child.kill("SIGTERM");
      await exited;
      running.delete(child);
    },
  };
}

/** What a bot process needs to reach moto through the SDK's own endpoint variables. */
export function testAwsEnv(url: string): Record<string, string> {
  return {
    AWS_ACCESS_KEY_ID: "testing",
    AWS_SECRET_ACCESS_KEY: "testing",
    AWS_REGION: "eu-west-1",
    AWS_ENDPOINT_URL_CLOUDFRONT: url,
    AWS_ENDPOINT_URL_CLOUDWATCH: url,
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
