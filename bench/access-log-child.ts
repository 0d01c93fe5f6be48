// One side of the access log bench, in a process of its own so its peak memory is its own:
// `summarize <files…>` reads them as `/cdn logs` does (streamed, four at once, one summary);
// `gunzip <files…>` only gunzips them, the same way, as the memory baseline.
import { createReadStream } from "node:fs";
import { Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import pLimit from "p-limit";
import { AccessLogSummarizer } from "../src/logs/access-log-summary.js";
import { summarizeLogFile } from "../src/logs/log-file-stream.js";

const [mode, ...files] = process.argv.slice(2);
const limit = pLimit(4);
const started = performance.now();
let lines = 0;
if (mode === "summarize") {
  // The files' hour, whole: every line is in the window.
  const summarizer = new AccessLogSummarizer({
    fromMs: Date.UTC(2026, 11, 7, 13),
    toMs: Date.UTC(2026, 11, 7, 14),
  });
  await Promise.all(files.map((f) => limit(() => summarizeLogFile(createReadStream(f), true, summarizer))));
  const summary = summarizer.summary();
  if (summary.requests !== summary.linesRead) throw new Error("lines outside the window");
  lines = summary.requests;
} else {
  const sink = () => new Writable({ write: (_chunk, _encoding, done) => done() });
  await Promise.all(files.map((f) => limit(() => pipeline(createReadStream(f), createGunzip(), sink()))));
}
const ms = performance.now() - started;
process.stdout.write(
  `${JSON.stringify({ lines, ms: Math.round(ms), maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024) })}\n`,
);
