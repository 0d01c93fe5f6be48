import { provideMoto } from "./moto-install.js";

/** Runs once before any test file: the workers inherit the environment set here. */
export default async function setup(): Promise<void> {
  // `npm run test:unit` (vitest run test/unit) needs no AWS emulator: none is looked for or installed.
  const filters = process.argv.slice(2).filter((arg) => !arg.startsWith("-") && arg !== "run");
  if (filters.length > 0 && filters.every((f) => f.startsWith("test/unit"))) return;
  await provideMoto();
}
