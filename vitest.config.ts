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
  },
});
