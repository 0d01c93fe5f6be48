import { createInterface } from "node:readline";
import { Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import { AccessLogReader } from "./access-log-lines.js";
import type { AccessLogSummarizer } from "./access-log-summary.js";

/**
 * One log file into the summary, a line at a time as it streams in (gunzipped on the way when its
 * name ends in .gz, as CloudFront writes them): a day of logs is never held in memory.
 */
export async function summarizeLogFile(
  body: AsyncIterable<Uint8Array> | NodeJS.ReadableStream,
  gzipped: boolean,
  summarizer: AccessLogSummarizer,
): Promise<{ malformed: number }> {
  const source = body instanceof Readable ? body : Readable.from(body as AsyncIterable<Uint8Array>);
  const text = gzipped ? source.pipe(createGunzip()) : source;
  const reader = new AccessLogReader();
  for await (const line of createInterface({ input: text, crlfDelay: Number.POSITIVE_INFINITY })) {
    const record = reader.read(line);
    if (record) summarizer.add(record);
  }
  return { malformed: reader.malformed };
}
