/**
 * Issue 15: a team can be archived. DELETE /admin/teams/{id} revokes all its keys at once,
 * keeps the team and its usage for the record, and hides it from the default listing; it
 * then gets no new key (409), and every change to it is refused.
 */
import { env } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { displayPrefix, generateKey, hashKey } from "../../src/auth/key-format";
import { clearKeyCache } from "../../src/auth/key-store";
import { insertKeyStatement } from "../../src/db/keys";
import { adminCall, adminJson, allPages, expectAdminError, insertUsageEvents } from "../helpers/admin";
import { callGateway, mockUpstream } from "../helpers/gateway";
import { usageRecord } from "../helpers/usage-record";

interface Team {
  id: string;
  name: string;
  created_at: string;
  updated_at: string;
  archived_at: string | null;
}

interface Key {
  id: string;
  key: string;
  status: string;
  revoked_at: string | null;
}

interface AuditEntry {
  action: string;
  target_id: string;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
}

const uniqueName = (label: string) => `${label} ${crypto.randomUUID().slice(0, 8)}`;

beforeEach(() => {
  clearKeyCache();
  mockUpstream(() => Response.json({ object: "list", data: [{ id: "llama-3.3-70b", object: "model" }] }));
});

afterEach(() => vi.restoreAllMocks());

async function teamWithKeys(label: string, keys = 2): Promise<{ team: Team; keys: Key[] }> {
  const team = await adminJson<Team>("POST", "/teams", { name: uniqueName(label) });
  const minted: Key[] = [];
  for (let i = 0; i < keys; i++) minted.push(await adminJson<Key>("POST", `/teams/${team.id}/keys`, { name: `key ${i}` }));
  return { team, keys: minted };
}

async function archive(teamId: string): Promise<Team> {
  const res = await adminCall("DELETE", `/teams/${teamId}`);
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as Team;
}

/** A data-plane call with a gateway key, read to the end. */
async function useKey(secret: string): Promise<Response> {
  const res = await callGateway("/v1/models", { key: secret });
  return new Response(await res.text(), res);
}

describe("DELETE /admin/teams/{team_id}", () => {
  it("archives the team and answers it with archived_at", async () => {
    const { team } = await teamWithKeys("archived", 0);

    const archived = await archive(team.id);

    expect(archived).toMatchObject({ id: team.id, name: team.name, archived_at: expect.any(String) });
    expect(archived.updated_at).toBe(archived.archived_at);
    expect(Math.abs(Date.parse(archived.archived_at ?? "") - Date.now())).toBeLessThan(60_000);
  });

  it("revokes every key of the team at once: each answers api_key_revoked and shows revoked_at = archived_at", async () => {
    const { team, keys } = await teamWithKeys("revoked keys");
    for (const key of keys) expect((await useKey(key.key)).status).toBe(200);

    const archived = await archive(team.id);

    for (const key of keys) {
      const res = await useKey(key.key);
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ error: { code: "api_key_revoked" } });
      expect(await adminJson<Key>("GET", `/keys/${key.id}`)).toMatchObject({ status: "revoked", revoked_at: archived.archived_at });
    }
  });

  it("leaves a key revoked before the archive with its own revoked_at", async () => {
    const { team, keys } = await teamWithKeys("revoked before");
    const [early, late] = keys as [Key, Key];
    const revoked = await adminJson<Key>("DELETE", `/keys/${early.id}`);
    await new Promise((resolve) => setTimeout(resolve, 5));

    const archived = await archive(team.id);

    expect((await adminJson<Key>("GET", `/keys/${early.id}`)).revoked_at).toBe(revoked.revoked_at);
    expect((await adminJson<Key>("GET", `/keys/${late.id}`)).revoked_at).toBe(archived.archived_at);
  });

  it("keeps the team readable by id, with archived_at", async () => {
    const { team } = await teamWithKeys("readable", 0);
    const archived = await archive(team.id);

    expect(await adminJson<Team>("GET", `/teams/${team.id}`)).toEqual(archived);
  });

  it("hides the team from GET /teams, and lists it with include_archived=true", async () => {
    const { team: kept } = await teamWithKeys("kept", 0);
    const { team } = await teamWithKeys("hidden", 0);
    await archive(team.id);

    const listed = (await allPages<Team>("/teams", 1000)).items.map((t) => t.id);
    const all = await allPages<Team>("/teams?include_archived=true", 1000);

    expect(listed).toContain(kept.id);
    expect(listed).not.toContain(team.id);
    expect(all.items.find((t) => t.id === team.id)?.archived_at).toEqual(expect.any(String));
    expect(all.items.find((t) => t.id === kept.id)?.archived_at).toBeNull();
  });

  it("pages the default listing past archived teams without losing a live one", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await teamWithKeys(`page ${i}`, 0)).team.id);
    await archive(ids[1] as string);
    await archive(ids[3] as string);

    const listed = (await allPages<Team>("/teams", 1)).items.map((t) => t.id).filter((id) => ids.includes(id));

    expect(listed).toEqual([ids[0], ids[2], ids[4]]);
  });

  it("keeps the team's usage for the record: totals and events still answer after the archive", async () => {
    const { team, keys } = await teamWithKeys("usage", 1);
    const keyId = (keys[0] as Key).id;
    await insertUsageEvents([
      usageRecord({ team_id: team.id, key_id: keyId, started_at: "2026-03-01T10:00:00.000Z", total_tokens: 14 }),
      usageRecord({ team_id: team.id, key_id: keyId, started_at: "2026-03-01T11:00:00.000Z", total_tokens: 14 }),
    ]);
    const query = `team_id=${team.id}&from=2026-03-01T00:00:00Z&to=2026-03-02T00:00:00Z`;
    const before = await adminJson<{ data: { requests: number; total_tokens: number }[] }>("GET", `/usage?${query}&group_by=team`);

    await archive(team.id);

    const after = await adminJson<{ data: { requests: number; total_tokens: number; team_name: string }[] }>(
      "GET",
      `/usage?${query}&group_by=team`,
    );
    expect(before.data).toMatchObject([{ requests: 2, total_tokens: 28 }]);
    expect(after.data).toMatchObject([{ requests: 2, total_tokens: 28, team_name: team.name }]);
    expect((await adminJson<{ data: unknown[] }>("GET", `/usage/events?${query}`)).data).toHaveLength(2);
  });

  it("writes one team.archive audit entry, before live and after archived", async () => {
    const { team } = await teamWithKeys("audited", 1);
    const archived = await archive(team.id);
    await adminCall("DELETE", `/teams/${team.id}`);

    const entries = (await adminJson<{ data: AuditEntry[] }>("GET", `/audit?target_id=${team.id}`)).data;

    expect(entries.map((entry) => entry.action)).toEqual(["team.archive", "team.create"]);
    expect(entries[0]?.before).toMatchObject({ id: team.id, archived_at: null });
    expect(entries[0]?.after).toMatchObject({ id: team.id, archived_at: archived.archived_at });
  });

  it("answers a second archive with 409 team_archived", async () => {
    const { team } = await teamWithKeys("twice", 0);
    await archive(team.id);

    await expectAdminError(await adminCall("DELETE", `/teams/${team.id}`), 409, { code: "team_archived" });
  });

  it("answers an unknown team with 404 team_not_found", async () => {
    await expectAdminError(await adminCall("DELETE", "/teams/team_nope"), 404, { code: "team_not_found" });
  });
});

describe("an archived team", () => {
  it("gets no new key: 409 team_archived", async () => {
    const { team } = await teamWithKeys("no keys", 0);
    await archive(team.id);

    await expectAdminError(await adminCall("POST", `/teams/${team.id}/keys`, { name: "late" }), 409, { code: "team_archived" });
    expect((await adminJson<{ data: unknown[] }>("GET", `/teams/${team.id}/keys`)).data).toHaveLength(0);
  });

  it("gets no key even from a writer that read it as live before the archive: the database refuses the insert", async () => {
    const { team } = await teamWithKeys("race", 0);
    await archive(team.id);
    const secret = generateKey();
    const now = new Date().toISOString();
    const insert = insertKeyStatement(env.DB, {
      id: `key_${crypto.randomUUID()}`,
      teamId: team.id,
      name: "raced",
      keyHash: await hashKey(secret),
      prefix: displayPrefix(secret),
      models: null,
      expiresAt: null,
      metadata: {},
      createdAt: now,
    });

    await expect(env.DB.batch([insert])).rejects.toThrow(/team_archived/);
  });

  it("cannot be changed: PATCH answers 409 team_archived and changes nothing", async () => {
    const { team } = await teamWithKeys("frozen", 0);
    const archived = await archive(team.id);

    await expectAdminError(await adminCall("PATCH", `/teams/${team.id}`, { name: uniqueName("renamed") }), 409, {
      code: "team_archived",
    });
    expect(await adminJson<Team>("GET", `/teams/${team.id}`)).toEqual(archived);
  });

  it("gives up its name: a new team may take it, while a live team's name stays taken", async () => {
    const { team } = await teamWithKeys("reused name", 0);
    await archive(team.id);

    const successor = await adminJson<Team>("POST", "/teams", { name: team.name });

    expect(successor.id).not.toBe(team.id);
    await expectAdminError(await adminCall("POST", "/teams", { name: team.name }), 409, { code: "team_name_taken" });
  });
});

it("documents DELETE /teams/{team_id} as archiveTeam, and include_archived on GET /teams", async () => {
  const doc = await adminJson<{
    paths: Record<string, Record<string, { operationId?: string; parameters?: { name: string }[] }>>;
    components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
  }>("GET", "/openapi.json");

  expect(doc.paths["/teams/{team_id}"]?.delete?.operationId).toBe("archiveTeam");
  expect(doc.paths["/teams"]?.get?.parameters?.map((p) => p.name)).toContain("include_archived");
  expect(Object.keys(doc.components.schemas.Team?.properties ?? {})).toContain("archived_at");
});
