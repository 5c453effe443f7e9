/**
 * The operator CLI (`npm run admin -- …`, scripts/admin-cli.mjs) against the
 * running gateway: what an operator types, what they see, what it exits with.
 */
import { execFile } from "node:child_process";
import { describe, expect, it } from "vitest";
import { e2e, GATEWAY_V1 } from "./helpers/env";

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  const decoder = new TextDecoder();
  return new Promise((resolve) => {
    execFile(
      "node",
      ["scripts/admin-cli.mjs", ...args],
      { encoding: "buffer", timeout: 30_000, env: { ...process.env, TGW_URL: e2e.gatewayUrl, TGW_ADMIN_TOKEN: e2e.adminToken, ...env } },
      (error, stdout, stderr) => {
        resolve({ code: error ? Number(error.code ?? 1) : 0, stdout: decoder.decode(stdout), stderr: decoder.decode(stderr) });
      },
    );
  });
}

const KEY = /tgw_[0-9A-Za-z]{38}/g;
const name = (label: string) => `cli ${label} ${crypto.randomUUID().slice(0, 8)}`;

async function createTeam(): Promise<string> {
  const run = await cli(["teams", "create", "--name", name("team"), "--json"]);
  expect(run.code, run.stderr).toBe(0);
  return (JSON.parse(run.stdout) as { id: string }).id;
}

async function modelsStatus(key: string): Promise<number> {
  return (await fetch(`${GATEWAY_V1}/models`, { headers: { authorization: `Bearer ${key}` } })).status;
}

describe("operator CLI", () => {
  it("mints a key and prints it exactly once, and the key works at the gateway", async () => {
    const teamId = await createTeam();
    const run = await cli(["keys", "create", "--team", teamId, "--name", "ci-bot", "--models", "llama-3.3-70b"]);
    expect(run.code, run.stderr).toBe(0);
    const shown = run.stdout.match(KEY) ?? [];
    expect(shown).toHaveLength(1);
    expect(run.stdout).toContain("will NOT be shown again");
    expect(await modelsStatus(shown[0] as string)).toBe(200);
  });

  it("lists a team's keys without any secret", async () => {
    const teamId = await createTeam();
    const created = await cli(["keys", "create", "--team", teamId, "--name", "listed"]);
    const secret = (created.stdout.match(KEY) ?? [])[0] as string;
    const list = await cli(["keys", "list", "--team", teamId]);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toContain("listed");
    expect(list.stdout).toContain(secret.slice(0, 10));
    expect(list.stdout).not.toContain(secret);
  });

  it("revokes a key, after which the gateway refuses it", async () => {
    const teamId = await createTeam();
    const created = await cli(["keys", "create", "--team", teamId, "--name", "doomed", "--json"]);
    const key = JSON.parse(created.stdout) as { id: string; key: string };
    expect(await modelsStatus(key.key)).toBe(200);
    const revoked = await cli(["keys", "revoke", key.id]);
    expect(revoked.code, revoked.stderr).toBe(0);
    // wrangler dev is one isolate: the revoke was handled where the key is cached.
    expect(await modelsStatus(key.key)).toBe(401);
  });

  it("prints usage as CSV with a header row", async () => {
    const run = await cli(["usage", "--group-by", "team,model", "--csv"]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout.split("\r\n")[0]).toBe(
      "team_id,model,requests,prompt_tokens,completion_tokens,total_tokens,cached_tokens,reasoning_tokens",
    );
  });

  it("shows an API error as one readable line on stderr and exits 1", async () => {
    const team = name("dup");
    expect((await cli(["teams", "create", "--name", team])).code).toBe(0);
    const run = await cli(["teams", "create", "--name", team]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr.trim().split("\n")).toHaveLength(1);
    expect(run.stderr).toMatch(/^error: 409 team_name_taken: .*\(param: name\)/);
  });

  it("refuses a wrong admin token with exit 1 and never prints the token", async () => {
    const wrong = "not-the-admin-token-5f1c";
    const run = await cli(["teams", "list"], { TGW_ADMIN_TOKEN: wrong });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^error: 401 invalid_admin_token/);
    expect(run.stdout + run.stderr).not.toContain(wrong);
  });

  it("exits 3 with a line naming the URL when the gateway cannot be reached", async () => {
    const run = await cli(["teams", "list"], { TGW_URL: "http://127.0.0.1:9" });
    expect(run.code).toBe(3);
    expect(run.stderr).toContain("http://127.0.0.1:9");
  });

  it("exits 2 on a usage mistake, before calling the API", async () => {
    const run = await cli(["teams", "create"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("--name");
  });
});
