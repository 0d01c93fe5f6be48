import { type ChildProcess, spawn } from "node:child_process";
import { freePort } from "./free-port.js";

export type MotoServer = { url: string; port: number; stop(): Promise<void>; reset(): Promise<void> };

/** How to run moto: `moto_server` on the PATH, or a Python with the moto module (`-m moto.server`). */
export type MotoCommand = { command: string; args: string[] };

const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

/** Starts moto_server (an AWS emulator) on a free loopback port and waits until it answers. */
export async function startMotoServer(
  how: MotoCommand = { command: "moto_server", args: [] },
): Promise<MotoServer> {
  const port = await freePort();
  const child = spawn(how.command, [...how.args, "-H", "127.0.0.1", "-p", String(port)], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  running.add(child);
  let stderr = "";
  let spawnError: Error | undefined;
  child.once("error", (error) => {
    spawnError = error;
  });
  child.stderr?.on("data", (c: Buffer) => {
    stderr = (stderr + c.toString()).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const res = await fetch(`${url}/moto-api/`, { signal: AbortSignal.timeout(2_000) });
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (spawnError || child.exitCode !== null || Date.now() > deadline) {
      child.kill("SIGKILL");
      running.delete(child);
      throw new Error(`moto_server did not start (${how.command}): ${spawnError?.message ?? stderr}`);
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
