import { execFile } from "node:child_process";
import { existsSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** Where the tests keep the moto they install for themselves (git-ignored). */
export const MOTO_VENV = join(import.meta.dirname, "..", "..", ".cache", "moto");
/** The moto the tests are written against: 5.x has CloudFront, CloudWatch, STS and DynamoDB. */
const MOTO_REQUIREMENT = "moto[server]>=5.1,<6";

async function succeeds(command: string, args: string[]): Promise<boolean> {
  try {
    await run(command, args, { timeout: 60_000 });
    return true;
  } catch {
    return false;
  }
}

/**
 * Makes sure moto_server can be started, and returns the Python that runs it (`python -m
 * moto.server`) or undefined when `moto_server` is on the PATH. On a machine with Python 3 but no
 * moto, it installs moto once into a local virtual environment: `npm ci && npm test` is enough.
 */
export async function ensureMoto(
  options: { ignoreInstalled?: boolean; venv?: string } = {},
): Promise<string | undefined> {
  const venv = options.venv ?? MOTO_VENV;
  if (!options.ignoreInstalled) {
    if (await succeeds("moto_server", ["--help"])) return undefined;
    if (await succeeds("python3", ["-c", "import moto.server"])) return "python3";
  }
  const python = join(venv, "bin", "python");
  const ready = join(venv, ".ready");
  if (existsSync(ready) && (await succeeds(python, ["-c", "import moto.server"]))) return python;
  if (!(await succeeds("python3", ["--version"])))
    throw new Error(
      "The integration tests need moto_server (an AWS emulator in Python). Install Python 3 and the " +
        `tests install moto themselves into ${venv}, or install it yourself: pip install '${MOTO_REQUIREMENT}'`,
    );
  // A half-made environment (an interrupted install) is made again from scratch.
  rmSync(venv, { recursive: true, force: true });
  process.stderr.write(`Installing ${MOTO_REQUIREMENT} into ${venv} (once) …\n`);
  try {
    // System packages stay visible: a moto the machine already has satisfies pip without a download.
    await run("python3", ["-m", "venv", "--system-site-packages", venv], { timeout: 120_000 });
    await run(python, ["-m", "pip", "install", "--quiet", "--disable-pip-version-check", MOTO_REQUIREMENT], {
      timeout: 600_000,
    });
  } catch (error) {
    rmSync(venv, { recursive: true, force: true });
    const detail = (error as { stderr?: string }).stderr?.trim() || (error as Error).message;
    throw new Error(
      `Could not install moto into ${venv} (pip needs to reach PyPI, or a proxy set in PIP_INDEX_URL):\n${detail}`,
    );
  }
  writeFileSync(ready, `${MOTO_REQUIREMENT}\n`);
  return python;
}

/** ensureMoto, with its answer left where startMoto (in this process and its children) looks. */
export async function provideMoto(): Promise<void> {
  const python = await ensureMoto();
  if (!python) return;
  process.env.CDNBOT_MOTO_PYTHON = python;
  // What the tests start as a product would (npm run sandbox -- --moto) finds it on the PATH too.
  if (python !== "python3") process.env.PATH = `${dirname(python)}:${process.env.PATH ?? ""}`;
}
