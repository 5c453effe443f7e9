import { defineConfig } from "vitest/config";

/**
 * The client end-to-end suite (test/e2e): plain Node, real SDKs, a real `wrangler dev`
 * and the mock Tensoras as separate processes. Started by scripts/e2e.mjs
 * (`npm run test:e2e`), which passes their URLs in E2E_* environment variables.
 */
export default defineConfig({
  test: {
    include: ["test/e2e/**/*.test.ts"],
    environment: "node",
    // One gateway serves every file; files run one after another (2-core CI machines).
    fileParallelism: false,
    // Each case waits for its ledger record, which the local queue delivers ~1 s later.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    teardownTimeout: 10_000,
  },
});
