import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startMoto } from "../support/moto.js";
import { ensureMoto } from "../support/moto-install.js";

const saved = process.env.CDNBOT_MOTO_PYTHON;
afterEach(() => {
  if (saved === undefined) delete process.env.CDNBOT_MOTO_PYTHON;
  else process.env.CDNBOT_MOTO_PYTHON = saved;
});

/**
 * With moto among the machine's Python packages, a fresh environment is made without a download.
 * Without it, this run's global set-up has just done the real install; a second one is not made.
 */
const machineHasMoto = spawnSync("python3", ["-c", "import moto.server"]).status === 0;

describe("the tests' own moto", () => {
  it.runIf(machineHasMoto)(
    "is installed into a virtual environment once, replacing an interrupted install, and runs from there",
    async () => {
      const venv = join(mkdtempSync(join(tmpdir(), "cdnbot-moto-")), "moto");
      mkdirSync(join(venv, "bin"), { recursive: true }); // what an interrupted install leaves behind

      const python = await ensureMoto({ ignoreInstalled: true, venv });
      expect(python).toBe(join(venv, "bin", "python"));
      const installedAt = statSync(join(venv, ".ready")).mtimeMs;

      expect(await ensureMoto({ ignoreInstalled: true, venv })).toBe(python);
      expect(statSync(join(venv, ".ready")).mtimeMs).toBe(installedAt);

      process.env.CDNBOT_MOTO_PYTHON = python;
      const moto = await startMoto();
      try {
        const answer = await fetch(`${moto.url}/moto-api/`);
        expect(answer.status).toBe(200);
      } finally {
        await moto.stop();
      }
    },
    300_000,
  );
});
