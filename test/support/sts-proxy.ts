import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";

export type StsProxy = {
  url: string;
  /** The parameters of every AssumeRole call that came through, oldest first. */
  assumeRoleCalls: URLSearchParams[];
  /** Credentials STS hands out expire this long after the call (moto's own hour when unset). */
  expiresInMs?: number;
  /** Roles whose trust policy does not let the bot in: AssumeRole is refused as AWS refuses it. */
  refused: Set<string>;
  close(): Promise<void>;
};

const readBody = (req: IncomingMessage) =>
  new Promise<string>((resolve) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
  });

/**
 * A loopback layer in front of moto's STS that records AssumeRole calls and can shorten the
 * credentials' life or refuse a role: what a test of caching, refresh and a broken trust policy needs.
 */
export async function startStsProxy(motoUrl: string): Promise<StsProxy> {
  const proxy: StsProxy = { url: "", assumeRoleCalls: [], refused: new Set(), close: async () => {} };
  const server = createServer(async (req, res) => {
    const body = await readBody(req);
    const params = new URLSearchParams(body);
    if (params.get("Action") === "AssumeRole") {
      proxy.assumeRoleCalls.push(params);
      if (proxy.refused.has(params.get("RoleArn") ?? "")) {
        res.writeHead(403, { "content-type": "text/xml" });
        res.end(
          `<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User: arn:aws:iam::123456789012:user/cdnbot is not authorized to perform: sts:AssumeRole on resource: ${params.get("RoleArn")}</Message></Error><RequestId>r</RequestId></ErrorResponse>`,
        );
        return;
      }
    }
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers))
      if (v !== undefined && !["host", "content-length", "connection"].includes(k))
        headers.set(k, Array.isArray(v) ? v.join(",") : v);
    const answer = await fetch(`${motoUrl}${req.url ?? "/"}`, {
      method: req.method ?? "POST",
      headers,
      body,
    });
    let text = await answer.text();
    if (proxy.expiresInMs !== undefined)
      text = text.replace(
        /<Expiration>[^<]*<\/Expiration>/,
        `<Expiration>${new Date(Date.now() + proxy.expiresInMs).toISOString()}</Expiration>`,
      );
    res.writeHead(answer.status, { "content-type": answer.headers.get("content-type") ?? "text/xml" });
    res.end(text);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  proxy.close = () => new Promise((resolve) => server.close(() => resolve()));
  return proxy;
}
