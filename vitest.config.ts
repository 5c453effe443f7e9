import path from "node:path";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { configDefaults, defineConfig } from "vitest/config";

export default defineConfig(async () => {
  const migrations = await readD1Migrations(path.join(import.meta.dirname, "migrations"));
  return {
    plugins: [
      cloudflareTest({
        wrangler: { configPath: "./wrangler.toml" },
        miniflare: {
          bindings: {
            TEST_MIGRATIONS: migrations,
            // The upstream is never reached: tests mock globalThis.fetch.
            TENSORAS_BASE_URL: "https://tensoras.test",
            TENSORAS_API_KEY: "tns-upstream-secret-for-tests",
            ADMIN_TOKEN: "admin-token-for-tests",
            UPSTREAM_TIMEOUT_MS: "2000",
            MAX_REQUEST_BYTES: "65536",
            // Cloudflare Access sign-in on /admin; its JWKS is served by the mocked fetch (admin-access test).
            ACCESS_TEAM_DOMAIN: "gateway-test.cloudflareaccess.com",
            ACCESS_AUD: "aud-for-tests",
          },
        },
      }),
    ],
    test: {
      include: ["test/**/*.test.ts"],
      // Node-side client tests against a real `wrangler dev`: `npm run test:e2e` (vitest.e2e.config.ts).
      // The dashboard in Chromium against `wrangler dev`: `npm run test:browser` (vitest.browser.config.ts).
      exclude: [...configDefaults.exclude, "test/e2e/**", "test/browser/**"],
      setupFiles: ["./test/helpers/apply-migrations.ts"],
      testTimeout: 15_000,
    },
  };
});
