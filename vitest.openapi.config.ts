import path from "node:path";
import { defineConfig } from "vitest/config";

/**
 * `npm run lint:openapi`: the admin app loaded in plain Node (its OpenAPI document needs no
 * binding), /admin/openapi.json written to .openapi/admin.json and linted by `redocly lint`.
 */
export default defineConfig({
  resolve: {
    alias: { "cloudflare:workers": path.join(import.meta.dirname, "test/openapi/cloudflare-workers-stub.ts") },
  },
  test: {
    include: ["test/openapi/**/*.test.mjs"],
    environment: "node",
    testTimeout: 120_000,
  },
});
