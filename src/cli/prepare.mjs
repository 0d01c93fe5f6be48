// `npm ci`'s prepare step: compiles the bot into dist/ once, so `npm start` never compiles. An
// install without dev dependencies (`npm ci --omit=dev`, for the pipelines' `npx cdnbot`, which runs
// from source through tsx) has no TypeScript compiler: it is told so and skips the build.
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";

let tsc;
try {
  tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
} catch {
  process.stdout.write(
    "cdnbot: no TypeScript compiler (dev dependencies omitted): dist/ not built; `npm start` needs `npm ci` first.\n",
  );
  process.exit(0);
}
execFileSync(process.execPath, [tsc, "-p", "tsconfig.build.json"], { stdio: "inherit" });
