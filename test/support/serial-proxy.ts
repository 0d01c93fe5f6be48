import { createServer, type IncomingMessage, request } from "node:http";
import type { AddressInfo } from "node:net";

export type SerialProxy = {
  url: string;
  /**
   * While on, every write (PutItem, UpdateItem, DeleteItem, TransactWriteItems, BatchWriteItem)
   * waits, as DynamoDB's calls do when it throttles or a network path is slow; reads still answer.
   * Turned off, the held writes go on, in order.
   */
  holdWrites(on: boolean): void;
  close(): Promise<void>;
};

const WRITES = /\.(PutItem|UpdateItem|DeleteItem|TransactWriteItems|BatchWriteItem)$/;

const readBody = (req: IncomingMessage) =>
  new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });

/**
 * A loopback layer that hands moto_server one request at a time. moto answers on many threads and
 * checks a DynamoDB condition and writes the item without a lock, so two conditional writes at the
 * same instant can both pass there, where DynamoDB promises that only one does. In front of moto's
 * DynamoDB this makes each call atomic, as the real service is, so a test of concurrent writers
 * tests cdnbot, not moto's races.
 */
export async function startSerialProxy(targetUrl: string): Promise<SerialProxy> {
  const target = new URL(targetUrl);
  let queue: Promise<unknown> = Promise.resolve();
  const forward = (req: IncomingMessage, body: Buffer) =>
    new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }>(
      (resolve, reject) => {
        const out = request(
          {
            host: target.hostname,
            port: target.port,
            method: req.method,
            path: req.url,
            headers: { ...req.headers, host: target.host },
          },
          async (res) => {
            try {
              resolve({ status: res.statusCode ?? 502, headers: res.headers, body: await readBody(res) });
            } catch (error) {
              reject(error);
            }
          },
        );
        out.on("error", reject);
        out.end(body);
      },
    );
  let released: Promise<void> = Promise.resolve();
  let release = () => {};
  const server = createServer(async (req, res) => {
    const body = await readBody(req);
    const target = String(req.headers["x-amz-target"] ?? "");
    if (WRITES.test(target)) await released;
    const turn = queue.then(() => forward(req, body));
    queue = turn.catch(() => undefined);
    try {
      const answer = await turn;
      res.writeHead(answer.status, answer.headers);
      res.end(answer.body);
    } catch {
      res.writeHead(502);
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    holdWrites(on) {
      if (on) released = new Promise<void>((resolve) => (release = resolve));
      else release();
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
