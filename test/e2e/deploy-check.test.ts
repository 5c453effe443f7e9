/**
 * Issue 15: `npm run deploy` refuses to deploy while wrangler.toml still binds D1 to the
 * placeholder database id, and deploys (here: wrangler's --dry-run) once a real id is there.
 * Each case runs the script in a temp copy of the project (helpers/deploy-copy.mjs).
 */
import { expect, it } from "vitest";
import { deployInCopy, projectWranglerToml } from "./helpers/deploy-copy.mjs";

const PLACEHOLDER = "00000000-0000-0000-0000-000000000000";
const REAL_LOOKING_ID = "4b1f6c2e-9a0d-4c3b-8e21-7f5a9d3c1e42";
/** What `wrangler deploy --dry-run` prints last: it ran, and stopped before uploading. */
const WRANGLER_RAN = "--dry-run: exiting now.";

it("refuses to deploy the committed wrangler.toml, whose database_id is the placeholder, naming the line and the fix", async () => {
  const toml = await projectWranglerToml();
  expect(toml).toContain(`database_id = "${PLACEHOLDER}"`);
  const line = toml.split("\n").findIndex((l) => l.startsWith("database_id")) + 1;

  const run = await deployInCopy(toml);

  expect(run.code).toBe(1);
  expect(run.stderr).toContain(`wrangler.toml line ${line} still has database_id = "${PLACEHOLDER}"`);
  expect(run.stderr).toContain("npx wrangler d1 create tensoras-gateway");
  expect(run.stdout + run.stderr).not.toContain(WRANGLER_RAN);
});

it("refuses a placeholder in an environment's own D1 binding too (--env production)", async () => {
  const toml = `${(await projectWranglerToml()).replace(PLACEHOLDER, REAL_LOOKING_ID)}
[env.production]
[[env.production.d1_databases]]
binding = "DB"
database_name = "tensoras-gateway-prod"
database_id = "${PLACEHOLDER}"
`;

  const run = await deployInCopy(toml, ["--env", "production"]);

  expect(run.code).toBe(1);
  expect(run.stderr).toContain("refused");
  expect(run.stdout + run.stderr).not.toContain(WRANGLER_RAN);
});

it("runs wrangler deploy, with the arguments after --, once database_id is a real id", async () => {
  const toml = (await projectWranglerToml()).replace(PLACEHOLDER, REAL_LOOKING_ID);

  const run = await deployInCopy(toml);

  expect(run.code, run.stderr).toBe(0);
  expect(run.stdout + run.stderr).toContain(WRANGLER_RAN);
  expect(run.stdout).toContain("env.DB (tensoras-gateway)");
}, 60_000);
