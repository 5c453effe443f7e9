/**
 * The README's admin examples, run as written against the running gateway (helpers/readme.ts:
 * only the gateway URL swapped, and the team name made unique so that a rerun on the same
 * state is not a 409): the key broker's block under "Admin API", the operators block, and the
 * first team, key and operator made "against production" in "Deploying to Cloudflare". Issue 15: these failed
 * with 415 once, when the admin API required a Content-Type that `curl -d` does not send.
 */
import { describe, expect, it } from "vitest";
import { admin } from "./helpers/admin";
import { e2e, GATEWAY_V1 } from "./helpers/env";
import { fieldsNotAnswered, type ReadmeStep, readmeSection, runReadmeBlock, runScript, shBlocks } from "./helpers/readme";

const LOCAL_URL = "http://127.0.0.1:8787";
const PRODUCTION_URL = "https://tensoras-gateway.<your-account>.workers.dev";
const README_TEAM = '"name":"search"';

function uniqueTeam(block: string): { block: string; name: string } {
  const name = `readme ${crypto.randomUUID().slice(0, 8)}`;
  expect(block, `the README's block names the team ${README_TEAM}`).toContain(README_TEAM);
  return { block: block.replaceAll(README_TEAM, `"name":"${name}"`), name };
}

const answer = (step: ReadmeStep | undefined) => JSON.parse(step?.stdout ?? "null") as Record<string, unknown>;

async function adminApiBlock(): Promise<string> {
  const blocks = shBlocks(await readmeSection("## Admin API (the key broker)"));
  expect(blocks, 'one sh block under "Admin API (the key broker)"').toHaveLength(1);
  return blocks[0] as string;
}

describe("README, Admin API (the key broker)", () => {
  async function runAdminBlock(block: string): Promise<void> {
    const { block: unique, name } = uniqueTeam(block);

    const steps = await runReadmeBlock(unique, { readmeUrl: LOCAL_URL, gatewayUrl: e2e.gatewayUrl, env: { ADMIN_TOKEN: e2e.adminToken } });

    const [team, key, rotated, revoked, csv, archived] = steps;
    expect(steps).toHaveLength(6);
    expect(answer(team)).toMatchObject({ name, metadata: { cost_center: "cc-42" }, archived_at: null });
    expect(answer(key)).toMatchObject({ name: "prod", models: ["llama-3.3-70b"], expires_at: "2027-06-30T00:00:00.000Z" });
    expect(String(answer(key).key)).toMatch(/^tgw_/);
    expect(answer(rotated).key).not.toBe(answer(key).key);
    expect(Date.parse(String(answer(rotated).previous_key_expires_at)) - Date.now()).toBeGreaterThan(3_500_000);
    expect(answer(revoked)).toMatchObject({ id: answer(key).id, status: "revoked" });
    // The CSV header the README shows is the one the API sends.
    expect(csv?.stdout.split("\r\n")[0]).toBe(csv?.shown[0]);
    expect(answer(archived)).toMatchObject({ id: answer(team).id, archived_at: expect.any(String) });
    expect(await admin("GET", `/teams/${answer(team).id}`)).toMatchObject({ archived_at: answer(archived).archived_at });
    for (const step of steps) expect(fieldsNotAnswered(step), `fields the README shows after: ${step.command}`).toEqual([]);
  }

  it("runs the block as written: team, key, rotate, revoke, usage CSV, archive", async () => {
    await runAdminBlock(await adminApiBlock());
  });

  it('runs the same block with every -H "$JSON" left out: curl\'s own Content-Type for -d is read as JSON', async () => {
    const block = await adminApiBlock();
    const withoutType = block.replaceAll(' -H "$JSON"', "");
    expect(withoutType).not.toContain('"$JSON"');

    await runAdminBlock(withoutType);
  });
});

describe("README, Operators and roles", () => {
  it("runs the block as written, as one script: a team_admin for a new team, a viewer rotated, audited and revoked", async () => {
    const blocks = shBlocks(await readmeSection("### Operators and roles"));
    expect(blocks, 'one sh block under "Operators and roles"').toHaveLength(1);
    const block = blocks[0] as string;
    expect(block).toContain(`GW=${LOCAL_URL}`);
    const suffix = crypto.randomUUID().slice(0, 8);
    // Team names are unique: a rerun on the same state gets its own.
    const script = block
      .replace(`GW=${LOCAL_URL}`, `GW=${e2e.gatewayUrl}`)
      .replaceAll('"name":"payments"', `"name":"payments ${suffix}"`)
      .replaceAll("curl -s ", "curl -s --fail-with-body -w '\\n' ");

    const run = await runScript(`set -e\n${script}`, { ADMIN_TOKEN: e2e.adminToken });

    expect(run.code, `${run.stderr}\n${run.stdout}`).toBe(0);
    const answers = run.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const [lead, listed, rotated, audited, revoked] = answers;
    expect(answers).toHaveLength(5);
    expect(lead).toMatchObject({ name: "payments lead", role: "team_admin" });
    expect(String(lead?.token)).toMatch(/^tgo_/);
    expect(listed?.data).toEqual(expect.arrayContaining([expect.objectContaining({ id: lead?.id })]));
    expect(String(rotated?.token)).toMatch(/^tgo_/);
    // The changes made by the viewer itself: none, but a page all the same.
    expect(audited).toMatchObject({ data: [], next_cursor: null });
    expect(revoked).toMatchObject({ id: rotated?.id, name: "finance" });
  });
});

describe("README, Deploying to Cloudflare", () => {
  it("makes the first team, its key and its team_admin operator as the production example shows, and the key works", async () => {
    const blocks = shBlocks(await readmeSection("## Deploying to Cloudflare")).filter((block) => block.includes(`GW=${PRODUCTION_URL}`));
    expect(blocks, "one block against the production URL").toHaveLength(1);
    const { block, name } = uniqueTeam(blocks[0] as string);

    const steps = await runReadmeBlock(block, {
      readmeUrl: PRODUCTION_URL,
      gatewayUrl: e2e.gatewayUrl,
      env: { ADMIN_TOKEN: e2e.adminToken },
    });

    const [health, team, key, operator] = steps;
    expect(answer(health)).toEqual({ status: "ok" });
    expect(answer(team)).toMatchObject({ name });
    expect(answer(operator)).toMatchObject({ role: "team_admin", team_ids: [answer(team).id] });
    expect(String(answer(operator).token)).toMatch(/^tgo_/);
    const models = await fetch(`${GATEWAY_V1}/models`, { headers: { authorization: `Bearer ${answer(key).key}` } });
    await models.body?.cancel();
    expect(models.status).toBe(200);
    for (const step of steps) expect(fieldsNotAnswered(step), `fields the README shows after: ${step.command}`).toEqual([]);
  });
});
