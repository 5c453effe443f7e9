import { describe, expect, it } from "vitest";
import { adminCall, adminJson, allPages, expectAdminError, expectNoSecrets, secretForms } from "../helpers/admin";

interface AuditEntry {
  id: string;
  at: string;
  actor: string;
  action: string;
  target_type: "team" | "key";
  target_id: string;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
}
interface Page {
  data: AuditEntry[];
  next_cursor: string | null;
}

let teams = 0;

/** One of each admin change, on a fresh team and key; returns the ids and every secret shown. */
async function everyKindOfChange() {
  const name = `Audited ${++teams} ${crypto.randomUUID()}`;
  const team = await adminJson<{ id: string }>("POST", "/teams", { name, metadata: { v: 1 } });
  await adminJson("PATCH", `/teams/${team.id}`, { name: `${name} renamed` });
  const key = await adminJson<{ id: string; key: string; prefix: string }>("POST", `/teams/${team.id}/keys`, { name: "k", models: ["m"] });
  await adminJson("PATCH", `/keys/${key.id}`, { name: "k2", metadata: { owner: "x" } });
  const rotated = await adminJson<{ key: string; prefix: string }>("POST", `/keys/${key.id}/rotate`, { grace_seconds: 30 });
  await adminJson("DELETE", `/keys/${key.id}`);
  return { team, name, key, rotated, secrets: [key.key, rotated.key] };
}

describe("GET /admin/audit", () => {
  it("records every change (team.create, team.update, key.create, key.update, key.rotate, key.revoke) by admin, newest first, with target and before/after", async () => {
    const { team, name, key, rotated } = await everyKindOfChange();
    const page = await adminJson<Page>("GET", "/audit?limit=6");
    expect(page.data.map((e) => [e.action, e.target_type, e.target_id])).toEqual([
      ["key.revoke", "key", key.id],
      ["key.rotate", "key", key.id],
      ["key.update", "key", key.id],
      ["key.create", "key", key.id],
      ["team.update", "team", team.id],
      ["team.create", "team", team.id],
    ]);
    for (const entry of page.data) {
      expect(Object.keys(entry).sort()).toEqual([
        "action",
        "actor",
        "actor_id",
        "actor_name",
        "after",
        "at",
        "before",
        "id",
        "target_id",
        "target_type",
      ]);
      // The ADMIN_TOKEN is the bootstrap owner, named as entries have always named it.
      expect(entry).toMatchObject({ actor: "admin", actor_id: "admin", actor_name: "ADMIN_TOKEN" });
      expect(Math.abs(Date.parse(entry.at) - Date.now())).toBeLessThan(60_000);
    }
    const ats = page.data.map((e) => e.at);
    expect(ats).toEqual([...ats].sort().reverse());
    const [revoke, rotate, keyUpdate, keyCreate, teamUpdate, teamCreate] = page.data;

    expect(teamCreate?.before).toBeNull();
    expect(teamCreate?.after).toMatchObject({ id: team.id, name, metadata: { v: 1 } });
    expect(teamUpdate?.before).toMatchObject({ name });
    expect(teamUpdate?.after).toMatchObject({ name: `${name} renamed`, metadata: { v: 1 } });
    expect(keyCreate?.before).toBeNull();
    expect(keyCreate?.after).toMatchObject({ id: key.id, name: "k", models: ["m"], status: "active", prefix: key.prefix });
    expect(keyUpdate?.before).toMatchObject({ name: "k", metadata: {} });
    expect(keyUpdate?.after).toMatchObject({ name: "k2", metadata: { owner: "x" } });
    expect(rotate?.before).toMatchObject({ prefix: key.prefix, previous_key_expires_at: null });
    expect(rotate?.after).toMatchObject({ prefix: rotated.prefix, previous_key_expires_at: expect.any(String) });
    expect(revoke?.before).toMatchObject({ status: "active", revoked_at: null });
    expect(revoke?.after).toMatchObject({ status: "revoked", revoked_at: expect.any(String) });
  });

  it("never holds a plaintext key or its hash, in any entry", async () => {
    const { secrets } = await everyKindOfChange();
    const forms = await secretForms(secrets);
    const { items } = await allPages<AuditEntry>("/audit", 1000);
    expect(items.length).toBeGreaterThanOrEqual(6);
    expectNoSecrets(JSON.stringify(items), forms, "the audit log");
    for (const entry of items) {
      for (const view of [entry.before, entry.after]) {
        if (view) expect(Object.keys(view).filter((k) => /key$|hash|secret/.test(k))).toEqual([]);
      }
    }
  });

  it("filters by target_id, newest first", async () => {
    const { team, key } = await everyKindOfChange();
    await everyKindOfChange(); // noise
    const forKey = await adminJson<Page>("GET", `/audit?target_id=${key.id}`);
    expect(forKey.data.map((e) => e.action)).toEqual(["key.revoke", "key.rotate", "key.update", "key.create"]);
    const forTeam = await adminJson<Page>("GET", `/audit?target_id=${team.id}`);
    expect(forTeam.data.map((e) => e.action)).toEqual(["team.update", "team.create"]);
    expect((await adminJson<Page>("GET", "/audit?target_id=key_never_existed")).data).toEqual([]);
  });

  it("writes no entry for a refused change (400, 404, 409)", async () => {
    const { team, key } = await everyKindOfChange();
    const before = (await adminJson<Page>("GET", "/audit?limit=1000")).data;
    const existing = await adminJson<{ name: string }>("GET", `/teams/${team.id}`);
    expect((await adminCall("POST", "/teams", { name: existing.name })).status).toBe(409);
    expect((await adminCall("POST", "/teams", { name: "" })).status).toBe(400);
    expect((await adminCall("PATCH", "/teams/team_nope", { name: "x" })).status).toBe(404);
    expect((await adminCall("DELETE", `/keys/${key.id}`)).status).toBe(409);
    expect((await adminCall("POST", `/keys/${key.id}/rotate`, {})).status).toBe(409);
    expect((await adminCall("POST", `/teams/${team.id}/keys`, { name: "x", expires_at: "2000-01-01T00:00:00Z" })).status).toBe(400);
    expect((await adminJson<Page>("GET", "/audit?limit=1000")).data).toEqual(before);
  });

  it("pages newest first with limit=2 through every entry exactly once, stable when changes are made after the first page (keyset, not offset)", async () => {
    await everyKindOfChange();
    const expected = (await adminJson<Page>("GET", "/audit?limit=1000")).data;
    const { items, pageSizes } = await allPages<AuditEntry>("/audit", 2, async () => {
      // Newer than every listed entry: an offset would now show page one's last entry again.
      await everyKindOfChange();
    });
    expect(items).toEqual(expected);
    expect(pageSizes.slice(0, -1).every((size) => size === 2)).toBe(true);
    expect(new Set(items.map((e) => e.id)).size).toBe(items.length);
    const ids = items.map((e) => e.id);
    expect(ids).toEqual([...ids].sort().reverse());
  });

  it("answers 400 naming limit or cursor for a bad page request", async () => {
    await expectAdminError(await adminCall("GET", "/audit?limit=0"), 400, { param: "limit" });
    await expectAdminError(await adminCall("GET", "/audit?limit=many"), 400, { param: "limit" });
    await expectAdminError(await adminCall("GET", "/audit?cursor=zzz"), 400, { param: "cursor", code: "invalid_cursor" });
    await expectAdminError(await adminCall("GET", "/audit?target_id="), 400, { param: "target_id" });
  });
});
