import { describe, expect, it } from "vitest";
import { adminCall, adminJson } from "../helpers/admin";

describe("admin smoke", () => {
  it("creates a team and a key, lists them, and serves the OpenAPI document", async () => {
    const team = await adminJson("POST", "/teams", { name: "Search", metadata: { cc: "42" } });
    expect(team).toMatchObject({ name: "Search", metadata: { cc: "42" } });
    const key = await adminJson("POST", `/teams/${team.id}/keys`, { name: "prod", models: ["llama-3.3-70b"] });
    expect(String(key.key)).toMatch(/^tgw_/);
    const list = await adminJson<{ data: Record<string, unknown>[] }>("GET", `/teams/${team.id}/keys`);
    expect(list.data).toHaveLength(1);
    expect(JSON.stringify(list)).not.toContain(String(key.key));
    const doc = await adminJson<{ openapi: string; paths: Record<string, unknown> }>("GET", "/openapi.json");
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths)).toContain("/keys/{key_id}/rotate");
    const rotated = await adminJson("POST", `/keys/${key.id}/rotate`, { grace_seconds: 60 });
    expect(rotated.key).not.toBe(key.key);
    expect((await adminCall("DELETE", `/keys/${key.id}`)).status).toBe(200);
    const auditPage = await adminJson<{ data: { action: string }[] }>("GET", "/audit");
    expect(auditPage.data.map((e) => e.action)).toEqual(["key.revoke", "key.rotate", "key.create", "team.create"]);
    const summary = await adminCall("GET", "/usage?group_by=team,model&format=csv");
    expect(await summary.text()).toBe(
      "team_id,team_name,model,requests,prompt_tokens,completion_tokens,total_tokens,cached_tokens,reasoning_tokens,cost_micro_usd,unpriced_requests\r\n",
    );
  });
});
