import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { type Browser, chromium } from "playwright-core";

/** Where browser tests keep their screenshots (git-ignored): the artefacts a person looks at. */
export const ARTIFACTS = join(import.meta.dirname, "..", "artifacts");

/** The system's Chromium (`apt-get install chromium`), or CHROMIUM_PATH. */
export function chromiumPath(): string {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  for (const name of ["chromium", "chromium-browser", "google-chrome-stable", "google-chrome"]) {
    try {
      return execFileSync("which", [name], { encoding: "utf8" }).trim();
    } catch {
      // not this one
    }
  }
  throw new Error(
    "The browser tests need Chromium: apt-get install chromium (or set CHROMIUM_PATH to a Chrome or Chromium).",
  );
}

export async function launchBrowser(): Promise<Browser> {
  mkdirSync(ARTIFACTS, { recursive: true });
  return chromium.launch({
    executablePath: chromiumPath(),
    // Containers (CI) run as root without the user namespaces Chromium's sandbox needs.
    args: ["--no-sandbox", "--disable-dev-shm-usage"],
  });
}
