import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../../src/sandbox/free-port.js";

export { freePort };

const root = join(import.meta.dirname, "..", "..");

export type BotOptions = {
  env: Record<string, string>;
  config?: string;
  dataFile?: string;
  /** How long start-up may take (a migration of a large state file takes a while). Default 30 s. */
  startTimeoutMs?: number;
  /** Run the compiled build (`dist/`, from `npm run build`) as `npm start` does, not the sources. */
  compiled?: boolean;
};

export type BotProcess = {
  url: string;
  port: number;
  pid: number;
  dataFile: string;
  configFile: string;
  /** Everything the bot wrote to stdout and stderr. */
  output(): string;
  stop(): Promise<void>;
  kill(): Promise<void>;
  exited: Promise<number | null>;
};

export const SMALL_CONFIG = "distributions:\n  web:\n    id: E2EXAMPLE123\n";

export async function workDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), "cdnbot-it-"));
}

/** Runs `src/main.ts` as `npm start` does, in its own process, so a test can kill and restart it. */
export async function startBot(options: BotOptions): Promise<BotProcess> {
  const dir = await workDir();
  const configFile = join(dir, "cdnbot.yml");
  await writeFile(configFile, options.config ?? SMALL_CONFIG);
  const dataFile = options.dataFile ?? join(dir, "data", "cdnbot.json");
  const port = await freePort();
  const entry = options.compiled ? ["dist/src/start.js"] : ["--import", "tsx", "src/main.ts"];
  const child = spawn(process.execPath, entry, {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "",
      PORT: String(port),
      CDNBOT_CONFIG: configFile,
      CDNBOT_DATA: dataFile,
      CDNBOT_POLL_MS: "200",
      CDNBOT_STATUS_EVERY_MS: "200",
      CDNBOT_LOG_LEVEL: "debug",
      ...options.env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  await waitForListening(child, () => output, exited, options.startTimeoutMs);
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    pid: child.pid ?? 0,
    dataFile,
    configFile,
    output: () => output,
    exited,
    stop: () => terminate(child, "SIGTERM", exited),
    kill: () => terminate(child, "SIGKILL", exited),
  };
}

/** Runs the bot expecting it to refuse to start; resolves with its exit code and output. */
export async function runBotExpectingFailure(
  env: Record<string, string>,
): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
    cwd: root,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (c: Buffer) => {
    output += c.toString();
  });
  child.stderr?.on("data", (c: Buffer) => {
    output += c.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  return { code, output };
}

async function waitForListening(
  child: ChildProcess,
  output: () => string,
  exited: Promise<number | null>,
  timeoutMs = 30_000,
) {
  const deadline = Date.now() + timeoutMs;
  let exitCode: number | null | undefined;
  void exited.then((code) => {
    exitCode = code;
  });
  // Woken by each chunk of output (not polled), so start-up is timed to the line that says so.
  let wake: () => void = () => undefined;
  const onOutput = () => wake();
  child.stdout?.on("data", onOutput);
  child.stderr?.on("data", onOutput);
  void exited.then(onOutput);
  try {
    while (Date.now() < deadline) {
      if (output().includes("cdnbot is listening")) return;
      if (exitCode !== undefined)
        throw new Error(`the bot exited (${exitCode}) before listening:\n${output()}`);
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, 250);
      });
    }
  } finally {
    child.stdout?.off("data", onOutput);
    child.stderr?.off("data", onOutput);
  }
  child.kill("SIGKILL");
  throw new Error(`the bot did not start within ${timeoutMs / 1000} s:\n${output()}`);
}

async function terminate(child: ChildProcess, signal: NodeJS.Signals, exited: Promise<number | null>) {
  if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  await exited;
}
