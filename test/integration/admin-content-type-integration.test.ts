/**
 * Issue 15: the README's admin `curl -d '{…}'` examples sent no Content-Type of their own
 * (curl then says application/x-www-form-urlencoded) and got 415 Unsupported Media Type,
 * in no documented shape. A bearer caller's JSON body is now read as JSON whatever type it
 * forgot to name, as /v1 does; a body that is not JSON under a type that is not JSON is a
 * 415 that names the header, in the OpenAI error shape.
 */
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { ADMIN_TOKEN, adminJson, expectAdminError } from "../helpers/admin";

const GATEWAY = "https://gateway.test";
const encoder = new TextEncoder();

interface Team {
  id: string;
  name: string;
  metadata: Record<string, unknown>;
}

const uniqueName = (label: string) => `${label} ${crypto.randomUUID().slice(0, 8)}`;

/**
 * An admin request whose Content-Type is exactly `type`: null sends none (a byte body, which
 * gets no type of its own, unlike a string body).
 */
function adminSend(method: string, path: string, body: string, type: string | null): Promise<Response> {
  const headers = new Headers({ authorization: `Bearer ${ADMIN_TOKEN}` });
  if (type !== null) headers.set("content-type", type);
  const request = new Request(`${GATEWAY}/admin${path}`, { method, headers, body: encoder.encode(body) });
  expect(request.headers.get("content-type")).toBe(type);
  return exports.default.fetch(request);
}

describe("admin bodies without Content-Type: application/json", () => {
  it("creates a team from a JSON body sent with no Content-Type", async () => {
    const name = uniqueName("no type");

    const res = await adminSend("POST", "/teams", JSON.stringify({ name, metadata: { cost_center: "cc-42" } }), null);

    expect(res.status, await res.clone().text()).toBe(201);
    const team = (await res.json()) as Team;
    expect(team).toMatchObject({ name, metadata: { cost_center: "cc-42" } });
    expect(await adminJson<Team>("GET", `/teams/${team.id}`)).toMatchObject({ name });
  });

  it("creates a team from a JSON body under curl's default type for -d (application/x-www-form-urlencoded)", async () => {
    const name = uniqueName("curl default");

    const res = await adminSend("POST", "/teams", JSON.stringify({ name }), "application/x-www-form-urlencoded");

    expect(res.status, await res.clone().text()).toBe(201);
    expect(((await res.json()) as Team).name).toBe(name);
  });

  it("changes a team from a JSON body under fetch's default type for a string (text/plain;charset=UTF-8)", async () => {
    const team = await adminJson<Team>("POST", "/teams", { name: uniqueName("fetch default") });

    const res = await adminSend(
      "PATCH",
      `/teams/${team.id}`,
      JSON.stringify({ metadata: { owner: "search" } }),
      "text/plain;charset=UTF-8",
    );

    expect(res.status, await res.clone().text()).toBe(200);
    expect(((await res.json()) as Team).metadata).toEqual({ owner: "search" });
  });

  it("checks a body without a type against the same schema: a bad field is a 400 naming it", async () => {
    const res = await adminSend("POST", "/teams", JSON.stringify({ name: "" }), null);

    await expectAdminError(res, 400, { code: "invalid_request", param: "name" });
  });

  it("rotates a key with no body at all, and with curl's -d '' (an empty body under the form type)", async () => {
    const team = await adminJson<Team>("POST", "/teams", { name: uniqueName("rotate") });
    const key = await adminJson<{ id: string }>("POST", `/teams/${team.id}/keys`, { name: "k" });

    const bodiless = await exports.default.fetch(
      new Request(`${GATEWAY}/admin/keys/${key.id}/rotate`, { method: "POST", headers: { authorization: `Bearer ${ADMIN_TOKEN}` } }),
    );
    const emptyForm = await adminSend("POST", `/keys/${key.id}/rotate`, "", "application/x-www-form-urlencoded");

    expect(bodiless.status, await bodiless.clone().text()).toBe(201);
    expect(emptyForm.status, await emptyForm.clone().text()).toBe(201);
  });
});

describe("admin bodies that are not JSON", () => {
  it("answers text/plain with a body that is not JSON with 415 naming the Content-Type header", async () => {
    const res = await adminSend("POST", "/teams", "name=search", "text/plain");

    const body = await expectAdminError(res, 415, { code: "unsupported_media_type", param: null, type: "invalid_request_error" });
    expect(body.error.message).toContain('"Content-Type: application/json"');
    expect(body.error.message).toContain("text/plain");
  });

  it("answers a real form post (name=search under curl's default type) with 415 naming the header", async () => {
    const res = await adminSend("POST", "/teams", "name=search", "application/x-www-form-urlencoded");

    const body = await expectAdminError(res, 415, { code: "unsupported_media_type" });
    expect(body.error.message).toContain("Content-Type: application/x-www-form-urlencoded");
  });

  it("does not guess past a type the caller named: JSON under application/xml is a 415", async () => {
    const res = await adminSend("POST", "/teams", JSON.stringify({ name: uniqueName("xml") }), "application/xml");

    const body = await expectAdminError(res, 415, { code: "unsupported_media_type" });
    expect(body.error.message).toContain("Content-Type: application/xml");
  });

  it("answers a body that is not JSON, sent with no Content-Type, with 400 invalid_json naming the header", async () => {
    const res = await adminSend("POST", "/teams", "{not json", null);

    const body = await expectAdminError(res, 400, { code: "invalid_json" });
    expect(body.error.message).toContain("Content-Type: application/json");
  });

  it("still answers malformed JSON declared as application/json with 400 invalid_json", async () => {
    const res = await adminSend("POST", "/teams", "{not json", "application/json");

    await expectAdminError(res, 400, { code: "invalid_json" });
  });
});

it("keeps the OpenAPI document's request bodies application/json only", async () => {
  const doc = await adminJson<{ paths: Record<string, Record<string, { requestBody?: { content: Record<string, unknown> } }>> }>(
    "GET",
    "/openapi.json",
  );
  const types = Object.values(doc.paths).flatMap((operations) =>
    Object.values(operations).flatMap((operation) => (operation.requestBody ? [Object.keys(operation.requestBody.content)] : [])),
  );

  expect(types.length).toBeGreaterThan(5);
  expect(new Set(types.map((list) => list.join(",")))).toEqual(new Set(["application/json"]));
});
