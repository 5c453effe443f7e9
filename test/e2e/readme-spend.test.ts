/**
 * The README's "Spend control" and "Metering" curl blocks, run as written against the
 * running gateway, so that the documented answers cannot rot. Only what differs between
 * `npm run dev` and this suite is swapped: the gateway URL, the demo team and key (this
 * suite makes its own), and the model (one the mock serves that no other suite prices).
 */
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { expect, it } from "vitest";
import { admin, createKey, createTeam } from "./helpers/admin";
import { e2e } from "./helpers/env";

const README_URL = "http://127.0.0.1:8787";
const README_MODEL = "llama-3.3-70b";
const MODEL = "mistral-7b-instruct";

/** Every ```sh block of a `## ` section, in order. */
async function readmeBlocks(section: string): Promise<string[]> {
  const readme = await readFile(new URL("../../README.md", import.meta.url), "utf8");
  const body = new RegExp(`^## ${section}\\n([\\s\\S]*?)(?=^## )`, "m").exec(readme)?.[1];
  if (!body) throw new Error(`README.md has no "## ${section}" section`);
  return [...body.matchAll(/^```sh\n([\s\S]*?)^```/gm)].map((match) => match[1] as string);
}

function sh(command: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      "sh",
      ["-c", command],
      { encoding: "buffer", timeout: 60_000, env: { ...process.env, ADMIN_TOKEN: e2e.adminToken } },
      (error, stdout, stderr) => {
        const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
        resolve({ code: error ? Number(error.code ?? 1) : 0, stdout: text(stdout), stderr: text(stderr) });
      },
    );
  });
}

const asRun = (block: string) => block.replace(`GW=${README_URL}`, `GW=${e2e.gatewayUrl}`);

it("runs the README's Spend control examples: budgets and limits set and removed, then 200, 200, 429 rate_limit_exceeded, 429 budget_exceeded", async () => {
  const blocks = await readmeBlocks("Spend control");
  expect(blocks.join("").split(`GW=${README_URL}`), `the first block sets GW=${README_URL}`).toHaveLength(2);
  const teamId = await createTeam("readme spend");
  const key = await createKey(teamId, { name: "readme" });
  const script = asRun(blocks.join("\n"))
    .replaceAll("team_demo", teamId)
    .replaceAll("key_demo", key.keyId)
    .replaceAll("$(cat .wrangler/demo-key.txt)", key.key)
    .replaceAll(README_MODEL, MODEL);

  const { code, stdout, stderr } = await sh(`set -e\n${script}`);

  expect(code, `${stderr}\n${stdout}`).toBe(0);
  expect(stdout).toContain('"budget":{"limit_usd":"500.00","period":"month"');
  expect(stdout).toContain('"budget":{"limit_usd":"50.00","period":"day","spent_usd":"0.00","reserved_usd":"0.00"');
  expect(stdout).toContain('"limits":{"requests_per_minute":60,"tokens_per_minute":100000}');
  expect(stdout).toMatch(/(^|[}\n])200\n200\n429\n/);
  // curl -s prints bodies without a newline: the status line follows the PATCH's JSON.
  expect(stdout).toMatch(/HTTP\/1\.1 429 Too Many Requests\r?\n/);
  expect(stdout).toMatch(/^retry-after: \d+\r?$/im);
  expect(stdout).toContain('"type":"insufficient_quota","param":null,"code":"budget_exceeded"');
  // The examples leave the team and key as they found them.
  expect(await admin("GET", `/teams/${teamId}`)).toMatchObject({ budget: null, limits: null });
  expect(await admin("GET", `/keys/${key.keyId}`)).toMatchObject({ budget: null, limits: null });
});

it("runs the README's Metering example: GET /admin/health and POST /admin/usage/replay", async () => {
  // The Metering section also holds the exports subsection's blocks: this one is the health and replay block.
  const blocks = (await readmeBlocks("Metering")).filter((block) => block.includes("/admin/health"));
  expect(blocks).toHaveLength(1);
  const { code, stdout, stderr } = await sh(
    `set -e\n${asRun(blocks[0] as string).replaceAll("curl -s ", "curl -s --fail-with-body -w '\\n' ")}`,
  );
  expect(code, `${stderr}\n${stdout}`).toBe(0);
  const [health, replay] = stdout
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  expect(Object.keys(health ?? {}).sort()).toEqual(["dead_letters", "ledger", "started_requests", "status"]);
  expect(replay).toEqual({ replayed: 0, failed: [], remaining: 0 });
});
