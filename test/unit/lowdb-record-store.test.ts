import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { lowdbRecordStore } from "../../src/store/lowdb-record-store.js";
import { StateStore } from "../../src/store/state-store.js";
import { recordStoreContract } from "../contract/record-store-contract.js";

recordStoreContract("lowdb on a state file", {
  async open() {
    const file = join(await mkdtemp(join(tmpdir(), "cdnbot-contract-")), "cdnbot.json");
    const first = await StateStore.open(file);
    return {
      store: lowdbRecordStore(first),
      async reopen() {
        // A restart: everything the first store queued is on disk before the second reads it.
        await first.flush();
        return lowdbRecordStore(await StateStore.open(file));
      },
    };
  },
});
