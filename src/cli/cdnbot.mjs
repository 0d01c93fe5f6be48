#!/usr/bin/env node
// `npx cdnbot …`: the command line for pipelines (src/cli/cdnbot-cli.ts), run from its TypeScript
// source through tsx, a dependency of cdnbot, so it works in any checkout without a build.
import { register } from "tsx/esm/api";

register();
const { main } = await import("./cdnbot-cli.ts");
process.exitCode = await main(process.argv.slice(2), process.env);
