// Preloaded into the bot by the memory bench only (NODE_OPTIONS): on SIGUSR2 it collects garbage
// and writes process.memoryUsage() to GC_PROBE_FILE, so the bench reads what is really kept, not
// what the collector has not got round to freeing yet.
const { writeFileSync } = require("node:fs");
process.on("SIGUSR2", () => {
  globalThis.gc?.();
  writeFileSync(process.env.GC_PROBE_FILE, JSON.stringify(process.memoryUsage()));
});
