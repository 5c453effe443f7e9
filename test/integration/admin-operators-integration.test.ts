import { env } from "cloudflare:test";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { hashKey, isWellFormedOperatorToken } from "../../src/auth/key-format";
import { adminCall, adminJson, captureLogs, expectAdminError, expectNoSecrets, secretForms } from "../helpers/admin";

interface Operator {
  id: string;
  name: string;
  role: string;
  team_ids: string[];
  email: string | null;
  prefix: string;
  status: string;
  token?: string;
}

interface AuditEntry {
  id: string;
  actor: string;
  actor_id: string | null;
  actor_name: string | null;
  action: string;
  target_id: string;
  after: Record<string, unknown> | null;
}

let counter = 0;
const unique = (label: string) => `${label} ${++counter} ${crypto.randomUUID()}`;

async function newTeam(): Promise<string> {
  return (await adminJson<{ id: string }>("POST", "/teams", { name: unique("team") })).id;
}

async function newKey(teamId: string): Promise<string> {
  return (await adminJson<{ id: string }>("POST", `/teams/${teamId}/keys`, { name: unique("key") })).id;
}

async function newOperator(body: Record<string, unknown>): Promise<Operator & { token: string }> {
  return adminJson<Operator & { token: string }>("POST", "/operators", { name: unique("operator"), ...body });
}

afterEach(() => vi.restoreAllMocks());

describe("operator tokens", () => {
  it("shows the token once, at creation, and stores only its SHA-256 and a display prefix", async () => {
    const created = await newOperator({ role: "viewer" });
    expect(created.id).toMatch(/^op_[0-9a-f-]{36}$/);
    expect(isWellFormedOperatorToken(created.token)).toBe(true);
    expect(created.token.startsWith(created.prefix)).toBe(true);
    expect(created).toMatchObject({ role: "viewer", team_ids: [], email: null, status: "active" });

    const row = await env.DB.prepare("SELECT * FROM operators WHERE id = ?").bind(created.id).first<Record<string, unknown>>();
    expect(row?.token_hash).toBe(await hashKey(created.token));
    const forms = await secretForms([created.token]);
    expectNoSecrets(JSON.stringify({ ...row, token_hash: null }), [created.token], "the operators row");
    const shown = await adminJson("GET", `/operators/${created.id}`);
    expect(shown).not.toHaveProperty("token");
    expectNoSecrets(JSON.stringify(shown), forms, "GET /operators/{id}");
    expectNoSecrets(JSON.stringify(await adminJson("GET", "/operators?limit=1000")), forms, "GET /operators");
    expectNoSecrets(JSON.stringify(await adminJson("GET", `/audit?target_id=${created.id}`)), forms, "the audit log");
  });

  it("lets an operator token call the admin API as ADMIN_TOKEN would, and never logs it", async () => {
    const logs = captureLogs();
    const owner = await newOperator({ role: "owner" });
    const res = await adminCall("POST", "/teams", { name: unique("by operator") }, owner.token);
    expect(res.status).toBe(201);
    await expectAdminError(await adminCall("GET", "/teams", undefined, `${owner.token.slice(0, -1)}x`), 401, {
      code: "invalid_admin_token",
    });
    expectNoSecrets(logs.join("\n"), await secretForms([owner.token]), "the logs");
  });

  it("refuses a revoked operator's token at once as 401 operator_revoked, even just after it was cached", async () => {
    const viewer = await newOperator({ role: "viewer" });
    expect((await adminCall("GET", "/prices", undefined, viewer.token)).status).toBe(200);
    const revoked = await adminJson<Operator>("DELETE", `/operators/${viewer.id}`);
    expect(revoked.status).toBe("revoked");
    await expectAdminError(await adminCall("GET", "/prices", undefined, viewer.token), 401, {
      code: "operator_revoked",
      type: "authentication_error",
    });
    await expectAdminError(await adminCall("DELETE", `/operators/${viewer.id}`), 409, { code: "operator_revoked" });
    await expectAdminError(await adminCall("POST", `/operators/${viewer.id}/rotate`), 409, { code: "operator_revoked" });
  });

  it("rotates a token: the new one is shown once and works, the old one is refused at once", async () => {
    const viewer = await newOperator({ role: "viewer" });
    expect((await adminCall("GET", "/prices", undefined, viewer.token)).status).toBe(200);
    const rotated = await adminJson<Operator & { token: string }>("POST", `/operators/${viewer.id}/rotate`);
    expect(rotated.id).toBe(viewer.id);
    expect(rotated.token).not.toBe(viewer.token);
    expect(isWellFormedOperatorToken(rotated.token)).toBe(true);
    await expectAdminError(await adminCall("GET", "/prices", undefined, viewer.token), 401, { code: "invalid_admin_token" });
    expect((await adminCall("GET", "/prices", undefined, rotated.token)).status).toBe(200);
    expect(await adminJson("GET", `/operators/${viewer.id}`)).toMatchObject({ prefix: rotated.prefix });
  });

  it("requires team_ids for a team_admin, refuses them for other roles, and refuses a team that does not exist", async () => {
    await expectAdminError(await adminCall("POST", "/operators", { name: "ta", role: "team_admin" }), 400, { param: "team_ids" });
    const team = await newTeam();
    await expectAdminError(await adminCall("POST", "/operators", { name: "v", role: "viewer", team_ids: [team] }), 400, {
      param: "team_ids",
    });
    await expectAdminError(await adminCall("POST", "/operators", { name: "ta", role: "team_admin", team_ids: [team, "team_nope"] }), 404, {
      code: "team_not_found",
      param: "team_ids",
    });
    await expectAdminError(await adminCall("POST", "/operators", { name: "x", role: "root" }), 400, { param: "role" });
    const ok = await newOperator({ role: "team_admin", team_ids: [team, team] });
    expect(ok.team_ids).toEqual([team]);
  });

  it("keeps an email unique among live operators (stored lower-case) and frees it when the operator is revoked", async () => {
    const first = await newOperator({ role: "viewer", email: "Finance@Example.com" });
    expect(first.email).toBe("finance@example.com");
    await expectAdminError(await adminCall("POST", "/operators", { name: "dup", role: "viewer", email: "finance@example.com" }), 409, {
      code: "operator_email_taken",
      param: "email",
    });
    await adminJson("DELETE", `/operators/${first.id}`);
    expect((await newOperator({ role: "viewer", email: "finance@example.com" })).email).toBe("finance@example.com");
  });

  it("lists operators a page at a time with a cursor, without tokens", async () => {
    for (let i = 0; i < 3; i++) await newOperator({ role: "viewer" });
    const first = await adminJson<{ data: Operator[]; next_cursor: string | null }>("GET", "/operators?limit=2");
    expect(first.data).toHaveLength(2);
    expect(first.next_cursor).not.toBeNull();
    const second = await adminJson<{ data: Operator[] }>("GET", `/operators?limit=2&cursor=${first.next_cursor}`);
    expect(second.data[0]?.id).not.toBe(first.data[1]?.id);
    for (const op of [...first.data, ...second.data]) expect(op).not.toHaveProperty("token");
  });

  it("answers 404 operator_not_found for an unknown operator id", async () => {
    for (const [method, path] of [
      ["GET", "/operators/op_nope"],
      ["POST", "/operators/op_nope/rotate"],
      ["DELETE", "/operators/op_nope"],
    ] as const) {
      await expectAdminError(await adminCall(method, path), 404, { code: "operator_not_found" });
    }
  });
});

type Role = "owner" | "team_admin" | "viewer";

interface Fixtures {
  teamA: string;
  teamB: string;
  keyA: string;
  keyB: string;
}

interface RoleCase {
  method: string;
  path: (f: Fixtures) => string | Promise<string>;
  body?: () => unknown;
  /** The status each role gets. */
  expect: Record<Role, number>;
}

const PRICE = { input_usd_per_mtok: "1", output_usd_per_mtok: "2", max_output_tokens: 100 };

// team_admin manages team A only. A fresh key is minted where a call would use one up.
const ROLE_CASES: RoleCase[] = [
  { method: "GET", path: () => "/teams", expect: { owner: 200, team_admin: 403, viewer: 403 } },
  { method: "POST", path: () => "/teams", body: () => ({ name: unique("t") }), expect: { owner: 201, team_admin: 403, viewer: 403 } },
  { method: "GET", path: (f) => `/teams/${f.teamA}`, expect: { owner: 200, team_admin: 200, viewer: 403 } },
  { method: "GET", path: (f) => `/teams/${f.teamB}`, expect: { owner: 200, team_admin: 404, viewer: 403 } },
  { method: "GET", path: () => "/teams/team_nope", expect: { owner: 404, team_admin: 404, viewer: 403 } },
  {
    method: "PATCH",
    path: (f) => `/teams/${f.teamA}`,
    body: () => ({ metadata: { x: 1 } }),
    expect: { owner: 200, team_admin: 403, viewer: 403 },
  },
  {
    method: "POST",
    path: (f) => `/teams/${f.teamA}/keys`,
    body: () => ({ name: "k" }),
    expect: { owner: 201, team_admin: 201, viewer: 403 },
  },
  {
    method: "POST",
    path: (f) => `/teams/${f.teamB}/keys`,
    body: () => ({ name: "k" }),
    expect: { owner: 201, team_admin: 404, viewer: 403 },
  },
  { method: "GET", path: (f) => `/teams/${f.teamA}/keys`, expect: { owner: 200, team_admin: 200, viewer: 403 } },
  { method: "GET", path: (f) => `/teams/${f.teamB}/keys`, expect: { owner: 200, team_admin: 404, viewer: 403 } },
  { method: "GET", path: () => "/keys", expect: { owner: 200, team_admin: 403, viewer: 403 } },
  { method: "GET", path: (f) => `/keys?team_id=${f.teamA}`, expect: { owner: 200, team_admin: 200, viewer: 403 } },
  { method: "GET", path: (f) => `/keys?team_id=${f.teamB}`, expect: { owner: 200, team_admin: 404, viewer: 403 } },
  { method: "GET", path: (f) => `/keys/${f.keyA}`, expect: { owner: 200, team_admin: 200, viewer: 403 } },
  { method: "GET", path: (f) => `/keys/${f.keyB}`, expect: { owner: 200, team_admin: 404, viewer: 403 } },
  { method: "GET", path: () => "/keys/key_nope", expect: { owner: 404, team_admin: 404, viewer: 403 } },
  {
    method: "PATCH",
    path: (f) => `/keys/${f.keyA}`,
    body: () => ({ name: "renamed" }),
    expect: { owner: 200, team_admin: 200, viewer: 403 },
  },
  {
    method: "PATCH",
    path: (f) => `/keys/${f.keyB}`,
    body: () => ({ name: "renamed" }),
    expect: { owner: 200, team_admin: 404, viewer: 403 },
  },
  { method: "POST", path: async (f) => `/keys/${await newKey(f.teamA)}/rotate`, expect: { owner: 201, team_admin: 201, viewer: 403 } },
  { method: "POST", path: async (f) => `/keys/${await newKey(f.teamB)}/rotate`, expect: { owner: 201, team_admin: 404, viewer: 403 } },
  { method: "DELETE", path: async (f) => `/keys/${await newKey(f.teamA)}`, expect: { owner: 200, team_admin: 200, viewer: 403 } },
  { method: "DELETE", path: async (f) => `/keys/${await newKey(f.teamB)}`, expect: { owner: 200, team_admin: 404, viewer: 403 } },
  { method: "GET", path: () => "/usage", expect: { owner: 200, team_admin: 403, viewer: 200 } },
  { method: "GET", path: (f) => `/usage?team_id=${f.teamA}&group_by=key`, expect: { owner: 200, team_admin: 200, viewer: 200 } },
  { method: "GET", path: (f) => `/usage?team_id=${f.teamB}`, expect: { owner: 200, team_admin: 404, viewer: 200 } },
  { method: "GET", path: (f) => `/usage?key_id=${f.keyA}`, expect: { owner: 200, team_admin: 200, viewer: 200 } },
  { method: "GET", path: (f) => `/usage?key_id=${f.keyB}`, expect: { owner: 200, team_admin: 404, viewer: 200 } },
  { method: "GET", path: (f) => `/usage?team_id=${f.teamA}&key_id=${f.keyB}`, expect: { owner: 200, team_admin: 404, viewer: 200 } },
  { method: "GET", path: () => "/usage/events", expect: { owner: 200, team_admin: 403, viewer: 200 } },
  { method: "GET", path: (f) => `/usage/events?team_id=${f.teamA}`, expect: { owner: 200, team_admin: 200, viewer: 200 } },
  { method: "GET", path: (f) => `/usage/events?key_id=${f.keyB}`, expect: { owner: 200, team_admin: 404, viewer: 200 } },
  { method: "GET", path: () => "/prices", expect: { owner: 200, team_admin: 403, viewer: 200 } },
  { method: "PUT", path: () => "/prices/role-test-model", body: () => PRICE, expect: { owner: 201, team_admin: 403, viewer: 403 } },
  { method: "GET", path: () => "/exports", expect: { owner: 200, team_admin: 403, viewer: 200 } },
  { method: "GET", path: () => "/audit", expect: { owner: 200, team_admin: 403, viewer: 200 } },
  { method: "GET", path: () => "/health", expect: { owner: 200, team_admin: 403, viewer: 403 } },
  { method: "POST", path: () => "/usage/replay", expect: { owner: 200, team_admin: 403, viewer: 403 } },
  { method: "GET", path: () => "/operators", expect: { owner: 200, team_admin: 403, viewer: 403 } },
  {
    method: "POST",
    path: () => "/operators",
    body: () => ({ name: unique("op"), role: "viewer" }),
    expect: { owner: 201, team_admin: 403, viewer: 403 },
  },
  { method: "GET", path: () => "/openapi.json", expect: { owner: 200, team_admin: 200, viewer: 200 } },
];

describe("roles", () => {
  const tokens = {} as Record<Role, string>;
  const fixtures = {} as Fixtures;

  beforeAll(async () => {
    fixtures.teamA = await newTeam();
    fixtures.teamB = await newTeam();
    fixtures.keyA = await newKey(fixtures.teamA);
    fixtures.keyB = await newKey(fixtures.teamB);
    tokens.owner = (await newOperator({ role: "owner" })).token;
    tokens.team_admin = (await newOperator({ role: "team_admin", team_ids: [fixtures.teamA] })).token;
    tokens.viewer = (await newOperator({ role: "viewer" })).token;
  });

  for (const role of ["owner", "team_admin", "viewer"] as const) {
    for (const rule of ROLE_CASES) {
      const status = rule.expect[role];
      it(`answers ${status} to a ${role} on ${rule.method} ${rule.path.toString().replace(/^.*=> /, "")}`, async () => {
        const path = await rule.path(fixtures);
        const res = await adminCall(rule.method, path, rule.body?.(), tokens[role]);
        if (status === 403) {
          await expectAdminError(res, 403, { code: "forbidden", type: "permission_error" });
        } else if (status === 404) {
          await expectAdminError(res, 404, { code: /\/keys\/|key_id=/.test(path) ? "key_not_found" : "team_not_found" });
        } else {
          expect(res.status, await res.text()).toBe(status);
        }
      });
    }
  }

  it("answers a team_admin the same 404 for another team's key and team as for ids that do not exist", async () => {
    const other = await adminCall("GET", `/keys/${fixtures.keyB}`, undefined, tokens.team_admin);
    const missing = await adminCall("GET", "/keys/key_nope", undefined, tokens.team_admin);
    const [a, b] = [await expectAdminError(other, 404), await expectAdminError(missing, 404)];
    expect(a.error.code).toBe(b.error.code);
    expect(a.error.message.replace(fixtures.keyB, "ID")).toBe(b.error.message.replace("key_nope", "ID"));
    const team = await expectAdminError(await adminCall("GET", `/teams/${fixtures.teamB}`, undefined, tokens.team_admin), 404);
    const noTeam = await expectAdminError(await adminCall("GET", "/teams/team_nope", undefined, tokens.team_admin), 404);
    expect(team.error.message.replace(fixtures.teamB, "ID")).toBe(noTeam.error.message.replace("team_nope", "ID"));
  });

  it("lets a team_admin's key changes leave another team's key untouched", async () => {
    await adminCall("PATCH", `/keys/${fixtures.keyB}`, { name: "hijacked" }, tokens.team_admin);
    await adminCall("DELETE", `/keys/${fixtures.keyB}`, undefined, tokens.team_admin);
    const key = await adminJson<{ name: string; status: string }>("GET", `/keys/${fixtures.keyB}`);
    expect(key.name).not.toBe("hijacked");
    expect(key.status).toBe("active");
  });
});

describe("audit actor", () => {
  it("names the operator (id and name) on every entry it causes, and filters the log by actor", async () => {
    const team = await newTeam();
    const admin = await newOperator({ role: "team_admin", team_ids: [team] });
    const created = await adminCall("POST", `/teams/${team}/keys`, { name: "by team admin" }, admin.token);
    const key = (await created.json()) as { id: string };
    expect((await adminCall("DELETE", `/keys/${key.id}`, undefined, admin.token)).status).toBe(200);

    const byAdmin = await adminJson<{ data: AuditEntry[] }>("GET", `/audit?actor=${admin.id}`);
    expect(byAdmin.data.map((e) => [e.action, e.target_id])).toEqual([
      ["key.revoke", key.id],
      ["key.create", key.id],
    ]);
    for (const entry of byAdmin.data) expect(entry).toMatchObject({ actor: admin.id, actor_id: admin.id, actor_name: admin.name });

    const byBootstrap = await adminJson<{ data: AuditEntry[] }>("GET", "/audit?actor=admin&limit=1000");
    expect(byBootstrap.data.some((e) => e.action === "operator.create" && e.target_id === admin.id)).toBe(true);
    for (const entry of byBootstrap.data) expect(entry).toMatchObject({ actor_id: "admin", actor_name: "ADMIN_TOKEN" });
  });

  it("finds entries written before operators existed (actor admin, no actor_id) under ?actor=admin", async () => {
    const id = "00000000-0000-7000-8000-000000000001";
    await env.DB.prepare(
      "INSERT INTO audit_log (id, at, actor, action, target_type, target_id, before, after) VALUES (?, '2026-01-01T00:00:00.000Z', 'admin', 'team.create', 'team', 'team_old', NULL, NULL)",
    )
      .bind(id)
      .run();
    const page = await adminJson<{ data: AuditEntry[] }>("GET", "/audit?actor=admin&target_id=team_old");
    expect(page.data).toEqual([expect.objectContaining({ id, actor: "admin", actor_id: null, actor_name: null })]);
  });
});
