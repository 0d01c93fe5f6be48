import { provideMoto } from "./moto-install.js";

/** Runs once before any test file: the workers inherit the environment set here. */
export default async function setup(): Promise<void> {
  await provideMoto();
}
