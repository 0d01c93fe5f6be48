// Summing up access logs (`/cdn logs`): lines read per second and peak memory over gigabytes of
// gzipped CloudFront logs, against `zcat | wc -l` on the same files (the floor: gunzip and count
// the lines, nothing more) and a Node process that only gunzips them.
import { execFile, spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import { link, mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { promisify } from "node:util";
import { createGzip } from "node:zlib";
import { seeded } from "./seeded.js";

const run = promisify(execFile);

/** One file's size, gzipped: a busy distribution's hour. The gigabytes are made of links to it. */
const FILE_MB = 64;

/** A log file as CloudFront writes one: many paths and clients, a few of each heavy. */
export async function writeLogFile(path: string, targetBytes: number): Promise<number> {
  const random = seeded(29);
  const gzip = createGzip({ level: 6 });
  const out = createWriteStream(path);
  const done = pipeline(gzip, out);
  gzip.write("#Version: 1.0\n");
  gzip.write(
    "#Fields: date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status cs(Referer) cs(User-Agent) cs-uri-query cs(Cookie) x-edge-result-type x-edge-request-id x-host-header cs-protocol cs-bytes time-taken\n",
  );
  let lines = 0;
  const start = Date.UTC(2026, 11, 7, 13);
  while (out.bytesWritten < targetBytes) {
    const chunk: string[] = [];
    for (let i = 0; i < 2_000; i++) {
      const at = new Date(start + Math.floor(random() * 3_600_000)).toISOString();
      const path = `/assets/${Math.floor(random() ** 3 * 50_000)}/app.${Math.floor(random() * 100)}.js`;
      const ip = `198.${Math.floor(random() * 50)}.${Math.floor(random() ** 2 * 256)}.${Math.floor(random() * 256)}`;
      const status = random() < 0.02 ? 502 : random() < 0.05 ? 404 : 200;
      chunk.push(
        `${at.slice(0, 10)}\t${at.slice(11, 19)}\tFRA56-P${Math.floor(random() * 9)}\t${Math.floor(random() * 90_000)}\t${ip}\tGET\td111111abcdef8.cloudfront.net\t${path}\t${status}\t-\tMozilla/5.0%20(X11;%20Linux%20x86_64;%20rv:${100 + Math.floor(random() * 30)}.0)\t-\t-\t${random() < 0.8 ? "Hit" : "Miss"}\t${Math.floor(random() * 1e12).toString(36)}==\twww.example.com\thttps\t${200 + Math.floor(random() * 400)}\t${(random() * 0.3).toFixed(3)}`,
      );
    }
    lines += chunk.length;
    if (!gzip.write(`${chunk.join("\n")}\n`)) await new Promise((r) => gzip.once("drain", r));
  }
  gzip.end();
  await done;
  return lines;
}

/** A child process's answer (its last line, JSON) and its peak resident memory. */
function child(script: string, args: string[]): Promise<{ lines: number; ms: number; maxRssMb: number }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ["--import", "tsx", script, ...args], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    p.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    p.on("error", reject);
    p.on("exit", (code) =>
      code === 0
        ? resolve(JSON.parse(out.trim().split("\n").pop()!))
        : reject(new Error(`${script} exited ${code}`)),
    );
  });
}

export async function measureAccessLogReading(gigabytes = Number(process.env.BENCH_LOG_GB ?? 1)) {
  const dir = await mkdtemp(join(tmpdir(), "cdnbot-logs-"));
  try {
    const first = join(dir, "E2EXAMPLE.2026-12-07-13.0000.gz");
    const linesPerFile = await writeLogFile(first, FILE_MB * 1024 * 1024);
    const size = (await stat(first)).size;
    const count = Math.max(1, Math.round((gigabytes * 1024 ** 3) / size));
    const files = [first];
    for (let i = 1; i < count; i++) {
      const name = join(dir, `E2EXAMPLE.2026-12-07-13.${String(i).padStart(4, "0")}.gz`);
      await link(first, name);
      files.push(name);
    }
    // The floor: gunzip and count lines, in C, on the same files.
    const zcatStarted = performance.now();
    const { stdout } = await run("bash", ["-c", 'zcat "$@" | wc -l', "zcat", ...files], { maxBuffer: 1024 });
    const zcatMs = performance.now() - zcatStarted;
    const zcatLines = Number(stdout.trim());
    const summed = await child("bench/access-log-child.ts", ["summarize", ...files]);
    const gunzipOnly = await child("bench/access-log-child.ts", ["gunzip", ...files]);
    const linesPerSecond = (summed.lines / summed.ms) * 1000;
    const zcatLinesPerSecond = (zcatLines / zcatMs) * 1000;
    return {
      gzippedMb: Math.round((count * size) / 1024 ** 2),
      files: count,
      lines: summed.lines,
      // Every line zcat counts is a log line or one of the two header lines per file.
      linesAgree: summed.lines === zcatLines - 2 * count && linesPerFile * count === summed.lines,
      cdnbot: {
        linesPerSecond: Math.round(linesPerSecond),
        seconds: Math.round(summed.ms / 100) / 10,
        maxRssMb: summed.maxRssMb,
      },
      zcat: { linesPerSecond: Math.round(zcatLinesPerSecond), seconds: Math.round(zcatMs / 100) / 10 },
      gunzipOnly: { maxRssMb: gunzipOnly.maxRssMb },
      speedRatio: Math.round((linesPerSecond / zcatLinesPerSecond) * 100) / 100,
      memoryRatio: Math.round((summed.maxRssMb / gunzipOnly.maxRssMb) * 100) / 100,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
