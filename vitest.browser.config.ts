import { defineConfig } from "vitest/config";

/**
 * The dashboard in a real browser (test/browser): plain Node drives Debian's Chromium
 * (/usr/bin/chromium) through playwright-core against a real `wrangler dev` and the mock
 * Tensoras, both started by the test itself (`npm run test:browser`).
 */
export default defineConfig({
  test: {
    include: ["test/browser/**/*.test.ts"],
    environment: "node",
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 180_000,
    teardownTimeout: 20_000,
  },
});
