/**
 * The operator CLI (`npm run admin -- …`, scripts/admin-cli.mjs) against the
 * running gateway: what an operator types, what they see, what it exits with.
 */
import { createServer } from "node:http";
import { describe, expect, it } from "vitest";
import { createTeamAndKey, waitForLedger } from "./helpers/admin";
import { cli } from "./helpers/cli";
import { GATEWAY_V1 } from "./helpers/env";

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
      "team_id,team_name,model,requests,prompt_tokens,completion_tokens,total_tokens,cached_tokens,reasoning_tokens,cost_micro_usd,unpriced_requests",
    );
  });

  it("prints a model name a caller sent as an inert CSV cell (a leading '), not a live formula", async () => {
    const key = await createTeamAndKey("csv formula", ["llama-3.1-8b"]);
    const model = "=HYPERLINK(A1)+cmd|' /C calc'!A0";
    const refused = await fetch(`${GATEWAY_V1}/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${key.key}`, "content-type": "application/json" },
      body: JSON.stringify({ model, messages: [{ role: "user", content: "hi" }] }),
    });
    expect(refused.status).toBe(403);
    const [record] = await waitForLedger(key.keyId, refused.headers.get("x-request-id") as string);
    const run = await cli(["usage", "--key", key.keyId, "--group-by", "model", "--csv"]);
    expect(run.code, run.stderr).toBe(0);
    // The made-up model has no price: cost 0, one unpriced request.
    expect(run.stdout.split("\r\n")[1]).toBe(`'${record?.model},1,0,0,0,0,0,0,1`);
  });

  it("defuses formula cells in --csv even when the gateway it talks to sent them live (an older gateway)", async () => {
    const live = 'model,requests\r\n=HYPERLINK(A1),1\r\n"=1,""2""",2\r\n-5,3\r\n@SUM(A1),4\r\n"\r=1",5\r\nllama-3.3-70b,6\r\n';
    const server = createServer((req, res) => {
      res.writeHead(200, { "content-type": "text/csv; charset=utf-8" });
      res.end(req.url?.startsWith("/admin/usage?") ? live : "");
    });
    await new Promise<void>((listening) => server.listen(0, "127.0.0.1", listening));
    try {
      const { port } = server.address() as { port: number };
      const run = await cli(["usage", "--group-by", "model", "--csv"], { TGW_URL: `http://127.0.0.1:${port}` });
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toBe(
        'model,requests\r\n\'=HYPERLINK(A1),1\r\n"\'=1,""2""",2\r\n\'-5,3\r\n\'@SUM(A1),4\r\n"\'\r=1",5\r\nllama-3.3-70b,6\r\n',
      );
    } finally {
      await new Promise<void>((closed) => server.close(closed));
    }
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

  it("sets a model's price, which prices list then shows in force and prices show lists newest first", async () => {
    const model = `cli-model-${crypto.randomUUID().slice(0, 8)}`;
    const set = await cli([
      "prices",
      "set",
      model,
      "--input",
      "0.59",
      "--cached-input",
      "0.295",
      "--output",
      "0.79",
      "--max-output",
      "8192",
      "--json",
    ]);
    expect(set.code, set.stderr).toBe(0);
    const price = JSON.parse(set.stdout) as Record<string, unknown>;
    expect(price).toMatchObject({
      model,
      input_usd_per_mtok: "0.59",
      cached_input_usd_per_mtok: "0.295",
      output_usd_per_mtok: "0.79",
      max_output_tokens: 8192,
      context_window: null,
    });
    const future = new Date(Date.now() + 86_400_000).toISOString();
    const scheduled = await cli([
      "prices",
      "set",
      model,
      "--input",
      "0.65",
      "--output",
      "0.85",
      "--max-output",
      "8192",
      "--effective-from",
      future,
    ]);
    expect(scheduled.code, scheduled.stderr).toBe(0);
    expect(scheduled.stdout).toContain(`New price for ${model}, in force from`);

    const list = await cli(["prices", "list"]);
    expect(list.code, list.stderr).toBe(0);
    const row = list.stdout.split("\n").find((line) => line.startsWith(`${model} `)) ?? "";
    expect(row.split(/\s+/).slice(0, 6)).toEqual([model, "0.59", "0.295", "0.79", "8192", "-"]);
    expect(list.stdout).not.toContain("0.65");

    const show = await cli(["prices", "show", model]);
    expect(show.code, show.stderr).toBe(0);
    const lines = show.stdout.split("\n");
    const scheduledAt = lines.findIndex((line) => line.includes(" 0.65 "));
    const inForceAt = lines.findIndex((line) => line.includes(" 0.59 "));
    expect(lines[scheduledAt]).toContain("scheduled");
    expect(lines[inForceAt]).toContain("in force");
    expect(scheduledAt).toBeGreaterThan(0);
    expect(inForceAt).toBeGreaterThan(scheduledAt);

    const bad = await cli(["prices", "set", model, "--input", "1e3", "--output", "0.79", "--max-output", "8192"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^error: 400 invalid_request: .*\(param: input_usd_per_mtok\)/);
  });
});
