import { afterEach } from "vitest";
import { StateStore } from "../../src/store/state-store.js";

/**
 * `StateStore.open` for a test: every store it opens is closed after each test (its log's file let
 * go), as the bot does at shutdown. Importing this registers the hook in the importing file.
 */
const opened: StateStore[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((store) => store.close()));
});

export async function openStore(...args: Parameters<typeof StateStore.open>): Promise<StateStore> {
  const store = await StateStore.open(...args);
  opened.push(store);
  return store;
}
