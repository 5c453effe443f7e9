import { env } from "cloudflare:test";
import { z } from "@hono/zod-openapi";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  AuditEntrySchema,
  GROUP_BY,
  KEY_STATUSES,
  KeyCreateBody,
  KeyCreatedSchema,
  KeyPatchBody,
  KeySchema,
  MAX_GRACE_SECONDS,
  TeamCreateBody,
  TeamSchema,
  UsageRecordSchema,
  UsageTotalsSchema,
} from "../../src/admin/schemas";
import { ADMIN_TOKEN, adminCall, adminJson, allPages, expectAdminError, insertUsageEvents } from "../helpers/admin";
import { callGateway, seedKey } from "../helpers/gateway";
import { usageRecord } from "../helpers/usage-record";

afterEach(() => vi.restoreAllMocks());

interface Team {
  id: string;
  name: string;
  metadata: Record<string, unknown>;
  created_at: string;
  updated_at: string;
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
let uniq = 0;
const teamName = (label: string) => `${label} ${++uniq} ${crypto.randomUUID().slice(0, 8)}`;

function createTeam(body: Record<string, unknown>): Promise<Team> {
  return adminJson<Team>("POST", "/teams", body);
}

/** Every admin route, with a body that would be valid if the caller were allowed in. */
function everyRoute(teamId: string, keyId: string): [string, string, unknown?][] {
  return [
    ["POST", "/teams", { name: "intruder" }],
    ["GET", "/teams"],
    ["GET", `/teams/${teamId}`],
    ["PATCH", `/teams/${teamId}`, { name: "renamed by intruder" }],
    ["POST", `/teams/${teamId}/keys`, { name: "intruder key" }],
    ["GET", `/teams/${teamId}/keys`],
    ["GET", `/keys/${keyId}`],
    ["PATCH", `/keys/${keyId}`, { name: "renamed by intruder" }],
    ["POST", `/keys/${keyId}/rotate`, { grace_seconds: 0 }],
    ["DELETE", `/keys/${keyId}`],
    ["GET", "/usage/events"],
    ["GET", "/usage?group_by=team"],
    ["GET", "/audit"],
    ["GET", "/exports"],
    ["GET", "/openapi.json"],
  ];
}

describe("admin authentication", () => {
  it("answers every admin route with 401 in the OpenAI error shape without a token, with a wrong token and with a valid gateway key, changing nothing", async () => {
    const team = await createTeam({ name: teamName("Guarded") });
    const key = await adminJson<{ id: string; key: string }>("POST", `/teams/${team.id}/keys`, { name: "guarded key" });
    const gatewayKey = (await seedKey()).key;
    // Control: the gateway key is valid where gateway keys belong.
    vi.spyOn(globalThis, "fetch").mockImplementation(async () => Response.json({ object: "list", data: [] }));
    expect((await callGateway("/v1/models", { key: gatewayKey })).status).toBe(200);
    const auditBefore = await adminJson<{ data: unknown[] }>("GET", "/audit?limit=1000");

    const attempts: [string | null, string][] = [
      [null, "missing_admin_token"],
      [`${ADMIN_TOKEN}x`, "invalid_admin_token"],
      [ADMIN_TOKEN.slice(0, -1), "invalid_admin_token"],
      [gatewayKey, "invalid_admin_token"],
      [key.key, "invalid_admin_token"],
    ];
    for (const [method, path, body] of everyRoute(team.id, key.id)) {
      for (const [token, code] of attempts) {
        const res = await adminCall(method, path, body, token);
        await expectAdminError(res, 401, { code, type: "authentication_error", param: null });
      }
    }

    expect(await adminJson<Team>("GET", `/teams/${team.id}`)).toEqual(team);
    expect(await adminJson("GET", `/keys/${key.id}`)).toMatchObject({ name: "guarded key", status: "active" });
    expect((await adminJson<{ data: unknown[] }>("GET", "/audit?limit=1000")).data).toEqual(auditBefore.data);
  });

  it("treats an Authorization header that is not `Bearer <token>` as a missing admin token", async () => {
    for (const header of [`Basic ${ADMIN_TOKEN}`, ADMIN_TOKEN, "Bearer"]) {
      const res = await callGateway("/admin/teams", { headers: { authorization: header } });
      await expectAdminError(res, 401, { code: "missing_admin_token", type: "authentication_error" });
    }
  });

  it("answers an unknown admin path with 401 without the token and 404 unknown_route with it", async () => {
    await expectAdminError(await adminCall("GET", "/secrets", undefined, null), 401, { code: "missing_admin_token" });
    await expectAdminError(await adminCall("GET", "/secrets"), 404, { code: "unknown_route", type: "not_found_error" });
  });

  it("accepts the scheme in any case, as RFC 6750 allows", async () => {
    const res = await callGateway("/admin/teams", { headers: { authorization: `bearer ${ADMIN_TOKEN}` } });
    expect(res.status).toBe(200);
  });
});

describe("teams", () => {
  it("creates a team with 201 and returns {id, name, metadata, budget, limits, created_at, updated_at, archived_at}", async () => {
    const name = teamName("Search");
    const res = await adminCall("POST", "/teams", { name, metadata: { cost_center: "cc-42", tags: ["a"] } });
    expect(res.status).toBe(201);
    expect(res.headers.get("content-type")).toContain("application/json");
    const team = (await res.json()) as Team;
    expect(team).toEqual({
      id: expect.stringMatching(/^team_[0-9a-f-]{36}$/),
      name,
      metadata: { cost_center: "cc-42", tags: ["a"] },
      budget: null,
      limits: null,
      created_at: expect.stringMatching(ISO),
      updated_at: team.created_at,
      archived_at: null,
    });
    expect(Math.abs(Date.parse(team.created_at) - Date.now())).toBeLessThan(60_000);
  });

  it("defaults metadata to {} and trims the name", async () => {
    const name = teamName("Trimmed");
    const team = await createTeam({ name: `  ${name}  ` });
    expect(team).toMatchObject({ name, metadata: {} });
  });

  it("gets one team by id with the same view the create returned", async () => {
    const team = await createTeam({ name: teamName("Lookup"), metadata: { a: 1 } });
    const res = await adminCall("GET", `/teams/${team.id}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(team);
  });

  it("lists teams oldest first in {data, next_cursor} with next_cursor null on the last page", async () => {
    const first = await createTeam({ name: teamName("List A") });
    const second = await createTeam({ name: teamName("List B") });
    const page = await adminJson<{ data: Team[]; next_cursor: string | null }>("GET", "/teams?limit=1000");
    expect(Object.keys(page).sort()).toEqual(["data", "next_cursor"]);
    expect(page.next_cursor).toBeNull();
    const ids = page.data.map((t) => t.id);
    expect(ids.indexOf(first.id)).toBeGreaterThanOrEqual(0);
    expect(ids.indexOf(second.id)).toBeGreaterThan(ids.indexOf(first.id));
    expect(page.data.find((t) => t.id === second.id)).toEqual(second);
  });

  it("renames a team and replaces its metadata with PATCH, keeping its id and created_at", async () => {
    const team = await createTeam({ name: teamName("Before"), metadata: { old: true } });
    const name = teamName("After");
    const res = await adminCall("PATCH", `/teams/${team.id}`, { name, metadata: { new: true } });
    expect(res.status).toBe(200);
    const updated = (await res.json()) as Team;
    expect(updated).toEqual({ ...team, name, metadata: { new: true }, updated_at: expect.stringMatching(ISO) });
    expect(Date.parse(updated.updated_at)).toBeGreaterThanOrEqual(Date.parse(team.updated_at));
    expect(await adminJson("GET", `/teams/${team.id}`)).toEqual(updated);
  });

  it("keeps the name when PATCH sends only metadata, and the metadata when it sends only a name", async () => {
    const team = await createTeam({ name: teamName("Partial"), metadata: { keep: 1 } });
    expect(await adminJson("PATCH", `/teams/${team.id}`, { metadata: { replaced: 2 } })).toMatchObject({
      name: team.name,
      metadata: { replaced: 2 },
    });
    const name = teamName("Partial renamed");
    expect(await adminJson("PATCH", `/teams/${team.id}`, { name })).toMatchObject({ name, metadata: { replaced: 2 } });
  });

  it("lets a team be renamed to its own name", async () => {
    const team = await createTeam({ name: teamName("Same") });
    expect((await adminCall("PATCH", `/teams/${team.id}`, { name: team.name })).status).toBe(200);
  });
});

describe("team errors", () => {
  it("answers 400 naming `name` when the name is missing, empty or not a string", async () => {
    for (const body of [{}, { name: "" }, { name: "   " }, { name: 42 }, { name: null }, { metadata: {} }]) {
      await expectAdminError(await adminCall("POST", "/teams", body), 400, { code: "invalid_request", param: "name" });
    }
  });

  it("answers 400 naming `metadata` when it is not an object", async () => {
    for (const metadata of ["cc-42", 1, [1, 2], null]) {
      await expectAdminError(await adminCall("POST", "/teams", { name: teamName("Bad meta"), metadata }), 400, { param: "metadata" });
    }
  });

  it("answers 400 naming an unknown field (bodies are strict) on create and on PATCH", async () => {
    const body = await expectAdminError(await adminCall("POST", "/teams", { name: teamName("Strict"), owner: "bob" }), 400, {
      param: "owner",
    });
    expect(body.error.message).toContain("owner");
    const team = await createTeam({ name: teamName("Strict patch") });
    await expectAdminError(await adminCall("PATCH", `/teams/${team.id}`, { nmae: "typo" }), 400, { param: "nmae" });
  });

  it("answers 400 invalid_json for a body that is not JSON", async () => {
    const res = await callGateway("/admin/teams", {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      body: '{"name": "unterminated',
    });
    await expectAdminError(res, 400, { code: "invalid_json", type: "invalid_request_error" });
  });

  it("answers 404 team_not_found for an unknown team id on GET and PATCH", async () => {
    await expectAdminError(await adminCall("GET", "/teams/team_nope"), 404, { code: "team_not_found", type: "not_found_error" });
    await expectAdminError(await adminCall("PATCH", "/teams/team_nope", { name: teamName("Ghost") }), 404, { code: "team_not_found" });
  });

  it("answers 409 team_name_taken for a duplicate name on create and on rename, changing nothing", async () => {
    const taken = await createTeam({ name: teamName("Taken") });
    const other = await createTeam({ name: teamName("Other") });
    await expectAdminError(await adminCall("POST", "/teams", { name: taken.name }), 409, { code: "team_name_taken", param: "name" });
    await expectAdminError(await adminCall("POST", "/teams", { name: ` ${taken.name} ` }), 409, { code: "team_name_taken" });
    await expectAdminError(await adminCall("PATCH", `/teams/${other.id}`, { name: taken.name }), 409, { code: "team_name_taken" });
    expect(await adminJson("GET", `/teams/${other.id}`)).toEqual(other);
    const all = await adminJson<{ data: Team[] }>("GET", "/teams?limit=1000");
    expect(all.data.filter((t) => t.name === taken.name)).toHaveLength(1);
  });

  it("answers 400 naming `limit` for a limit that is not an integer from 1 to 1000", async () => {
    for (const limit of ["0", "-1", "1001", "abc", "1.5"]) {
      await expectAdminError(await adminCall("GET", `/teams?limit=${limit}`), 400, { param: "limit" });
    }
  });

  it("answers 400 invalid_cursor naming `cursor` for a cursor the API never returned", async () => {
    for (const cursor of ["garbage!", "bm90IGpzb24", btoa("[1,2]"), btoa('{"at":"x"}')]) {
      await expectAdminError(await adminCall("GET", `/teams?cursor=${encodeURIComponent(cursor)}`), 400, {
        code: "invalid_cursor",
        param: "cursor",
      });
    }
  });
});

describe("team pagination", () => {
  it("pages through every team exactly once, oldest first, with limit=2, even when teams are added after the first page (keyset, not offset)", async () => {
    for (let i = 0; i < 5; i++) await createTeam({ name: teamName(`Paged ${i}`) });
    const before = (await adminJson<{ data: Team[] }>("GET", "/teams?limit=1000")).data;
    expect(before.length).toBeGreaterThanOrEqual(5);
    let added: Team | undefined;

    const { items, pageSizes } = await allPages<Team>("/teams", 2, async () => {
      // Sorts after every page: must be listed once, at the end.
      added = await createTeam({ name: teamName("Added mid-way") });
      // Sorts before the cursor (as a clock step back could make it): an offset
      // would now repeat the first page's last team; the keyset must not.
      const old = "2000-01-01T00:00:00.000Z";
      await env.DB.prepare("INSERT INTO teams (id, name, metadata, created_at, updated_at) VALUES (?, ?, '{}', ?, ?)")
        .bind("team_000_inserted_before", teamName("Back-dated"), old, old)
        .run();
    });

    expect(pageSizes.slice(0, -1).every((n) => n === 2)).toBe(true);
    expect(items.map((t) => t.id)).toEqual([...before.map((t) => t.id), added?.id]);
    expect(new Set(items.map((t) => t.id)).size).toBe(items.length);
    const keys = items.map((t) => [t.created_at, t.id].join(" "));
    expect(keys).toEqual([...keys].sort());
  });
});

describe("response shapes", () => {
  it("answers every route with exactly the schema its OpenAPI entry declares, no field more or less", async () => {
    const strict = <T extends z.ZodObject>(schema: T) => schema.strict();
    const pageOf = (item: z.ZodObject) => z.strictObject({ data: z.array(item.strict()), next_cursor: z.string().nullable() });
    const expectShape = async (res: Response, status: number, schema: z.ZodType) => {
      const text = await res.text();
      expect(res.status, text).toBe(status);
      const parsed = schema.safeParse(JSON.parse(text));
      expect(parsed.success, `${res.url}: ${parsed.error?.message}`).toBe(true);
    };
    const team = await createTeam({ name: teamName("Shapes") });
    await insertUsageEvents([usageRecord({ team_id: team.id })]);
    await expectShape(await adminCall("GET", "/teams"), 200, pageOf(TeamSchema));
    await expectShape(await adminCall("GET", `/teams/${team.id}`), 200, strict(TeamSchema));
    await expectShape(await adminCall("PATCH", `/teams/${team.id}`, { metadata: { x: 1 } }), 200, strict(TeamSchema));
    const created = await adminCall("POST", `/teams/${team.id}/keys`, {
      name: "shape",
      models: ["m"],
      expires_at: "2040-01-01T00:00:00.000Z",
    });
    const key = (await created.clone().json()) as { id: string };
    await expectShape(created, 201, strict(KeyCreatedSchema));
    await expectShape(await adminCall("GET", `/teams/${team.id}/keys`), 200, pageOf(KeySchema));
    await expectShape(await adminCall("GET", `/keys/${key.id}`), 200, strict(KeySchema));
    await expectShape(await adminCall("PATCH", `/keys/${key.id}`, { models: null }), 200, strict(KeySchema));
    await expectShape(await adminCall("POST", `/keys/${key.id}/rotate`, { grace_seconds: 5 }), 201, strict(KeyCreatedSchema));
    await expectShape(await adminCall("DELETE", `/keys/${key.id}`), 200, strict(KeySchema));
    await expectShape(await adminCall("GET", `/usage/events?team_id=${team.id}`), 200, pageOf(UsageRecordSchema));
    const totals = z.strictObject({ data: z.array(UsageTotalsSchema.strict()).min(1), next_cursor: z.string().nullable() });
    await expectShape(await adminCall("GET", `/usage?team_id=${team.id}&group_by=team,key,model,day`), 200, totals);
    await expectShape(await adminCall("GET", "/audit"), 200, pageOf(AuditEntrySchema));
    await expectShape(await adminCall("GET", `/keys?team_id=${team.id}`), 200, pageOf(KeySchema.extend({ team_name: z.string() })));
  });
});

describe("GET /admin/openapi.json", () => {
  interface Doc {
    openapi: string;
    paths: Record<string, Record<string, Record<string, unknown>>>;
    components: {
      schemas: Record<string, { properties?: Record<string, Record<string, unknown>>; required?: string[] } & Record<string, unknown>>;
    };
  }

  it("is an OpenAPI 3.1 document with every admin route and method", async () => {
    const res = await adminCall("GET", "/openapi.json");
    expect(res.status).toBe(200);
    const doc = (await res.json()) as Doc;
    expect(doc.openapi).toBe("3.1.0");
    const routes = Object.entries(doc.paths).flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`));
    expect(routes.sort()).toEqual(
      [
        "POST /teams",
        "GET /teams",
        "GET /teams/{team_id}",
        "PATCH /teams/{team_id}",
        "DELETE /teams/{team_id}",
        "POST /teams/{team_id}/keys",
        "GET /teams/{team_id}/keys",
        "GET /keys",
        "GET /keys/{key_id}",
        "PATCH /keys/{key_id}",
        "DELETE /keys/{key_id}",
        "POST /keys/{key_id}/rotate",
        "GET /usage/events",
        "GET /usage",
        "GET /audit",
        "GET /health",
        "POST /usage/replay",
        "PUT /prices/{model}",
        "GET /prices",
        "GET /prices/{model}",
        "GET /exports",
        "POST /operators",
        "GET /operators",
        "GET /operators/{operator_id}",
        "POST /operators/{operator_id}/rotate",
        "DELETE /operators/{operator_id}",
      ].sort(),
    );
    for (const methods of Object.values(doc.paths)) {
      for (const operation of Object.values(methods)) {
        const responses = operation.responses as Record<string, unknown>;
        expect(responses["401"]).toEqual({
          description: expect.any(String),
          content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
        });
      }
    }
  });

  it("is generated from the schemas that validate the routes: bodies, limits and enums match src/admin/schemas.ts", async () => {
    const doc = await adminJson<Doc>("GET", "/openapi.json");
    const schemas = doc.components.schemas;
    for (const name of [
      "Team",
      "TeamCreate",
      "TeamPatch",
      "Key",
      "KeyCreated",
      "KeyCreate",
      "KeyPatch",
      "KeyRotate",
      "UsageRecord",
      "UsageTotals",
      "AuditEntry",
      "Error",
    ]) {
      expect(schemas[name], name).toBeDefined();
    }
    expect(Object.keys(schemas.KeyCreate?.properties ?? {}).sort()).toEqual(Object.keys(KeyCreateBody.shape).sort());
    expect(Object.keys(schemas.KeyCreate?.properties ?? {}).sort()).toEqual(["expires_at", "metadata", "models", "name"]);
    expect(schemas.KeyCreate?.required).toEqual(["name"]);
    expect(schemas.KeyCreate?.additionalProperties).toBe(false);
    expect(Object.keys(schemas.KeyPatch?.properties ?? {}).sort()).toEqual(Object.keys(KeyPatchBody.shape).sort());
    expect(Object.keys(schemas.TeamCreate?.properties ?? {}).sort()).toEqual(Object.keys(TeamCreateBody.shape).sort());
    expect(schemas.KeyRotate?.properties?.grace_seconds).toMatchObject({ type: "integer", minimum: 0, maximum: MAX_GRACE_SECONDS });
    expect(MAX_GRACE_SECONDS).toBe(7 * 24 * 3600);
    expect(schemas.Key?.properties?.status?.enum).toEqual([...KEY_STATUSES]);
    expect(Object.keys(schemas.Key?.properties ?? {})).not.toContain("key");
    expect(Object.keys(schemas.Key?.properties ?? {}).filter((p) => /hash|secret/.test(p))).toEqual([]);
    expect(schemas.KeyCreated?.allOf).toEqual([
      { $ref: "#/components/schemas/Key" },
      expect.objectContaining({ properties: { key: expect.objectContaining({ type: "string" }) }, required: ["key"] }),
    ]);
    expect(Object.keys(schemas.UsageRecord?.properties ?? {}).sort()).toEqual(Object.keys(UsageRecordSchema.shape).sort());
    expect(Object.keys(schemas.AuditEntry?.properties ?? {}).sort()).toEqual(Object.keys(AuditEntrySchema.shape).sort());

    const createKey = doc.paths["/teams/{team_id}/keys"]?.post as Record<string, never>;
    expect(createKey.requestBody).toMatchObject({
      content: { "application/json": { schema: { $ref: "#/components/schemas/KeyCreate" } } },
    });
    expect(createKey.responses).toMatchObject({
      201: { content: { "application/json": { schema: { $ref: "#/components/schemas/KeyCreated" } } } },
    });
    expect(createKey.parameters).toEqual([expect.objectContaining({ name: "team_id", in: "path", required: true })]);

    const summary = doc.paths["/usage"]?.get as { parameters: { name: string; in: string; schema: Record<string, unknown> }[] };
    expect(summary.parameters.map((p) => p.name).sort()).toEqual([
      "cursor",
      "format",
      "from",
      "group_by",
      "key_id",
      "limit",
      "team_id",
      "to",
    ]);
    expect(summary.parameters.every((p) => p.in === "query")).toBe(true);
    expect(JSON.stringify(summary.parameters.find((p) => p.name === "format"))).toContain('"csv"');
    const events = doc.paths["/usage/events"]?.get as { parameters: { name: string; schema: Record<string, unknown> }[] };
    expect(events.parameters.find((p) => p.name === "limit")?.schema).toMatchObject({ minimum: 1, maximum: 1000, default: 100 });
    expect(summary.parameters.find((p) => p.name === "group_by")?.schema).toMatchObject({ type: "array", items: { enum: [...GROUP_BY] } });
    expect(GROUP_BY).toEqual(["team", "key", "model", "day", "hour", "outcome"]);
  });

  it("declares the admin token as an HTTP bearer security scheme applied to every route", async () => {
    const doc = await adminJson<Doc & { security: unknown; components: { securitySchemes: unknown } }>("GET", "/openapi.json");
    expect(doc.components.securitySchemes).toEqual({ adminToken: { type: "http", scheme: "bearer" } });
    expect(doc.security).toEqual([{ adminToken: [] }]);
  });

  it("names every operation with a unique operationId and documents budgets and limits on TeamPatch, KeyPatch, Team and Key", async () => {
    const doc = await adminJson<Doc>("GET", "/openapi.json");
    const operations = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, operation]) => ({ route: `${method.toUpperCase()} ${path}`, id: operation.operationId })),
    );
    expect(operations.filter((op) => typeof op.id !== "string" || !/^[a-z][A-Za-z]+$/.test(op.id)).map((op) => op.route)).toEqual([]);
    const ids = operations.map((op) => op.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(Object.fromEntries(operations.map((op) => [op.route, op.id]))).toMatchObject({
      "POST /teams": "createTeam",
      "GET /teams": "listTeams",
      "GET /teams/{team_id}": "getTeam",
      "PATCH /teams/{team_id}": "updateTeam",
      "POST /teams/{team_id}/keys": "createKey",
      "GET /teams/{team_id}/keys": "listTeamKeys",
      "GET /keys/{key_id}": "getKey",
      "PATCH /keys/{key_id}": "updateKey",
      "POST /keys/{key_id}/rotate": "rotateKey",
      "DELETE /keys/{key_id}": "revokeKey",
      "GET /usage/events": "listUsageEvents",
      "GET /usage": "getUsageSummary",
      "GET /audit": "listAuditEntries",
    });

    const schemas = doc.components.schemas;
    // A property is either inline or a $ref to a component: read through the ref.
    type Schema = (typeof schemas)[string];
    const resolve = (schema: Record<string, unknown> | undefined): Schema | undefined => {
      const ref = schema?.$ref;
      return typeof ref === "string" ? schemas[ref.replace("#/components/schemas/", "")] : (schema as Schema | undefined);
    };
    const fields = (schema: string, property: string) =>
      Object.keys(resolve(schemas[schema]?.properties?.[property])?.properties ?? {}).sort();
    for (const patch of ["TeamPatch", "KeyPatch"]) {
      expect(fields(patch, "budget"), patch).toEqual(["limit_usd", "period"]);
      expect(fields(patch, "limits"), patch).toEqual(["requests_per_minute", "tokens_per_minute"]);
      expect(JSON.stringify(resolve(schemas[patch]?.properties?.budget)?.properties?.period), patch).toContain('["day","month","total"]');
    }
    for (const view of ["Team", "Key"]) {
      expect(fields(view, "budget"), view).toEqual(["limit_usd", "period", "reserved_usd", "resets_at", "spent_usd"]);
      expect(fields(view, "limits"), view).toEqual(["requests_per_minute", "tokens_per_minute"]);
      expect(schemas[view]?.required, view).toEqual(expect.arrayContaining(["budget", "limits"]));
    }
  });
});

describe("admin input hygiene", () => {
  it("refuses a team name with control characters (terminal escapes, newlines), naming the field", async () => {
    for (const name of ["evil\u001b[2J", "two\nlines"]) {
      await expectAdminError(await adminCall("POST", "/teams", { name }), 400, { param: "name" });
    }
  });

  it("treats an empty PATCH as a no-op: same team back, no audit entry", async () => {
    const team = await createTeam({ name: teamName("noop") });
    const res = await adminCall("PATCH", `/teams/${team.id}`, {});
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(team);
    const audit = await adminJson<{ data: { action: string }[] }>("GET", `/audit?target_id=${team.id}`);
    expect(audit.data.map((entry) => entry.action)).toEqual(["team.create"]);
  });

  it("answers 413 for an admin body over 64 KiB", async () => {
    const res = await adminCall("POST", "/teams", { name: teamName("big"), metadata: { blob: "x".repeat(70 * 1024) } });
    await expectAdminError(res, 413, { code: "request_too_large" });
  });
});
