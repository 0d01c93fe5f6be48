import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    setupFiles: ["test/support/setup.ts"],
    // Finds moto_server, or installs it into .cache/moto once, before any worker starts.
    globalSetup: ["test/support/global-setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Integration suites each start their own moto_server and bot on free ports.
    pool: "forks",
    // Integration files spend most of their time waiting on processes they started (the bot, moto,
    // invalidations that take a second), not computing: four at once on a 2-core machine finish
    // the suite in less than half the time of vitest's default (one fewer than the cores).
    maxWorkers: 4,
  },
});
