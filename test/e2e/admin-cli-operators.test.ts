/**
 * The CLI's operator commands (`npm run admin -- operators …`, `audit --actor`) against the
 * running gateway, and the tokens they print used as the CLI's own token, as an operator
 * handed one would: what each role may do, and what it is refused.
 */
import { describe, expect, it } from "vitest";
import { type CliRun, cli } from "./helpers/cli";
import { GATEWAY_V1 } from "./helpers/env";

const KEY = /tgw_[0-9A-Za-z]{38}/g;
const TOKEN = /tgo_[0-9A-Za-z]{38}/g;
const name = (label: string) => `cli ops ${label} ${crypto.randomUUID().slice(0, 8)}`;

interface CreatedOperator {
  id: string;
  name: string;
  token: string;
  run: CliRun;
}

async function createTeam(): Promise<string> {
  const run = await cli(["teams", "create", "--name", name("team"), "--json"]);
  expect(run.code, run.stderr).toBe(0);
  return (JSON.parse(run.stdout) as { id: string }).id;
}

/** `operators create` as a person reads it: the id from the first line, the token from the box. */
async function createOperator(role: string, extra: string[] = []): Promise<CreatedOperator> {
  const operatorName = name(role);
  const run = await cli(["operators", "create", "--name", operatorName, "--role", role, ...extra]);
  expect(run.code, run.stderr).toBe(0);
  const id = /^Created operator (op_\S+) \(/.exec(run.stdout)?.[1];
  const tokens = run.stdout.match(TOKEN) ?? [];
  expect(id, run.stdout).toBeDefined();
  expect(tokens, run.stdout).toHaveLength(1);
  return { id: id as string, name: operatorName, token: tokens[0] as string, run };
}

/** The CLI run with an operator's token in place of the admin token. */
const as = (token: string, args: string[]) => cli(args, { TGW_ADMIN_TOKEN: token });

async function modelsStatus(key: string): Promise<number> {
  return (await fetch(`${GATEWAY_V1}/models`, { headers: { authorization: `Bearer ${key}` } })).status;
}

function oneErrorLine(run: CliRun, pattern: RegExp): void {
  expect(run.code).toBe(1);
  expect(run.stdout).toBe("");
  expect(run.stderr.trim().split("\n")).toHaveLength(1);
  expect(run.stderr.trimEnd()).toMatch(pattern);
}

describe("operator CLI: operators", () => {
  it("creates a team_admin, prints its token once, and operators list shows it without token or hash", async () => {
    const teamId = await createTeam();
    const admin = await createOperator("team_admin", ["--team", teamId, "--email", `${crypto.randomUUID().slice(0, 8)}@example.com`]);
    expect(admin.run.stdout).toContain("will NOT be shown again");
    expect(admin.run.stdout).toMatch(/^role +team_admin$/m);
    expect(admin.run.stdout).toMatch(new RegExp(`^team_ids +${teamId}$`, "m"));

    // The gateway keeps the token's SHA-256 (src/auth/key-format.ts hashKey): it must not be listed either.
    const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(admin.token));
    const hash = Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, "0")).join("");
    const list = await cli(["operators", "list"]);
    expect(list.code, list.stderr).toBe(0);
    const row = list.stdout.split("\n").find((line) => line.startsWith(`${admin.id} `)) ?? "";
    expect(row).toContain(admin.name);
    expect(row.split(/\s+/)).toEqual(expect.arrayContaining(["team_admin", teamId, admin.token.slice(0, 10), "active"]));
    expect(list.stdout).not.toContain(admin.token);
    expect(list.stdout).not.toContain(hash);

    const listed = await cli(["operators", "list", "--json"]);
    expect(listed.code, listed.stderr).toBe(0);
    const ours = (JSON.parse(listed.stdout) as { data: Record<string, unknown>[] }).data.find((o) => o.id === admin.id);
    expect(ours).toMatchObject({ role: "team_admin", team_ids: [teamId], status: "active" });
    expect(Object.keys(ours ?? {})).not.toContain("token");
    expect(Object.keys(ours ?? {})).not.toContain("token_hash");
    expect(listed.stdout).not.toContain(admin.token);
    expect(listed.stdout).not.toContain(hash);
  });

  it("lets a team_admin's token mint a working key for its own team", async () => {
    const teamId = await createTeam();
    const admin = await createOperator("team_admin", ["--team", teamId]);
    const run = await as(admin.token, ["keys", "create", "--team", teamId, "--name", "minted-by-team-admin"]);
    expect(run.code, run.stderr).toBe(0);
    const shown = run.stdout.match(KEY) ?? [];
    expect(shown).toHaveLength(1);
    expect(await modelsStatus(shown[0] as string)).toBe(200);
  });

  it("refuses a team_admin's token another team's keys with 404 team_not_found, as if the team did not exist", async () => {
    const [ownTeam, otherTeam] = [await createTeam(), await createTeam()];
    expect((await cli(["keys", "create", "--team", otherTeam, "--name", "not-yours"])).code).toBe(0);
    const admin = await createOperator("team_admin", ["--team", ownTeam]);
    const own = await as(admin.token, ["keys", "list", "--team", ownTeam]);
    expect(own.code, own.stderr).toBe(0);
    const run = await as(admin.token, ["keys", "list", "--team", otherTeam]);
    oneErrorLine(run, new RegExp(`^error: 404 team_not_found: .*${otherTeam}`));
    expect(run.stderr).not.toContain("not-yours");
  });

  it("lets a viewer's token (from ADMIN_TOKEN) read usage, and refuses it a new team with 403 forbidden on one line", async () => {
    const viewer = await createOperator("viewer");
    // TGW_ADMIN_TOKEN wins over ADMIN_TOKEN: emptied, so that ADMIN_TOKEN is the one sent.
    const env = { TGW_ADMIN_TOKEN: "", ADMIN_TOKEN: viewer.token };
    const usage = await cli(["usage", "--group-by", "team", "--csv"], env);
    expect(usage.code, usage.stderr).toBe(0);
    expect(usage.stdout.split("\r\n")[0]).toMatch(/^team_id,team_name,requests,/);

    const teamName = name("viewer's team");
    const refused = await cli(["teams", "create", "--name", teamName], env);
    oneErrorLine(refused, /^error: 403 forbidden: An operator with the viewer role may not do this\.$/);
    expect(refused.stderr).not.toContain(viewer.token);
    const teams = await cli(["teams", "list", "--json"]);
    expect(teams.stdout).not.toContain(teamName);
  });

  it("rotates a team_admin's token: the old one is refused with 401, the new one printed once works", async () => {
    const teamId = await createTeam();
    const admin = await createOperator("team_admin", ["--team", teamId]);
    expect((await as(admin.token, ["keys", "list", "--team", teamId])).code).toBe(0);

    const rotated = await cli(["operators", "rotate", admin.id]);
    expect(rotated.code, rotated.stderr).toBe(0);
    expect(rotated.stdout).toContain(`Rotated the token of ${admin.id}`);
    const tokens = rotated.stdout.match(TOKEN) ?? [];
    expect(tokens).toHaveLength(1);
    const fresh = tokens[0] as string;
    expect(fresh).not.toBe(admin.token);

    const old = await as(admin.token, ["keys", "list", "--team", teamId]);
    oneErrorLine(old, /^error: 401 invalid_admin_token: .*\[admin token from TGW_ADMIN_TOKEN\]$/);
    expect(old.stderr).not.toContain(admin.token);
    // --token as a user may pass it: it wins over TGW_ADMIN_TOKEN (the old token here).
    const now = await as(admin.token, ["keys", "list", "--team", teamId, "--token", fresh]);
    expect(now.code, now.stderr).toBe(0);
    expect(now.stdout).toContain("has no keys yet");
  });

  it("revokes a viewer, whose token is refused with 401 from then on", async () => {
    const viewer = await createOperator("viewer");
    expect((await as(viewer.token, ["prices", "list"])).code).toBe(0);
    const revoked = await cli(["operators", "revoke", viewer.id]);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.stdout).toContain(`Revoked ${viewer.id}`);
    expect(revoked.stdout).toMatch(/^status +revoked$/m);
    oneErrorLine(await as(viewer.token, ["prices", "list"]), /^error: 401 operator_revoked: .*\[admin token from TGW_ADMIN_TOKEN\]$/);
    const list = await cli(["operators", "list"]);
    const row = list.stdout.split("\n").find((line) => line.startsWith(`${viewer.id} `)) ?? "";
    expect(row.split(/\s+/)).toContain("revoked");
    const show = await cli(["operators", "show", viewer.id]);
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toMatch(/^status +revoked$/m);
    expect(show.stdout).not.toMatch(/^revoked_at +-$/m);
  });

  it("shows with audit --actor the key a team_admin minted, and only that operator's changes", async () => {
    const teamId = await createTeam();
    const admin = await createOperator("team_admin", ["--team", teamId]);
    const minted = await as(admin.token, ["keys", "create", "--team", teamId, "--name", "audited", "--json"]);
    expect(minted.code, minted.stderr).toBe(0);
    const keyId = (JSON.parse(minted.stdout) as { id: string }).id;

    const run = await cli(["audit", "--actor", admin.id]);
    expect(run.code, run.stderr).toBe(0);
    const rows = run.stdout.trimEnd().split("\n").slice(1);
    expect(rows).toHaveLength(1);
    expect(rows[0]?.split(/\s+/)).toEqual(expect.arrayContaining(["key.create", keyId]));
    expect(rows[0]).toContain(admin.name);
    expect(rows[0]).toContain('name: "audited"');
  });
});
