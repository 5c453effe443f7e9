import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { MAX_METADATA_DEPTH } from "../../src/admin/schemas";
import { ADMIN_TOKEN, adminJson, expectAdminError } from "../helpers/admin";
import { callGateway } from "../helpers/gateway";

/**
 * `{"metadata": …}` with metadata nested `depth` levels deep (an object holding arrays:
 * one byte a level, so 20,000 levels fit the 64 KiB admin body), written as text: the
 * test itself must not recurse.
 */
function nestedBody(depth: number, extra: Record<string, unknown> = {}): string {
  const metadata = `{"a":${"[".repeat(depth - 1)}${"]".repeat(depth - 1)}}`;
  const fields = Object.entries(extra).map(([name, value]) => `${JSON.stringify(name)}:${JSON.stringify(value)},`);
  return `{${fields.join("")}"metadata":${metadata}}`;
}

function adminRaw(method: string, path: string, body: string): Promise<Response> {
  return callGateway(`/admin${path}`, { method, headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, body });
}

let count = 0;
async function newTeam(): Promise<string> {
  return (await adminJson<{ id: string }>("POST", "/teams", { name: `metadata team ${++count} ${crypto.randomUUID()}` })).id;
}

async function auditCount(): Promise<number> {
  return (await env.DB.prepare("SELECT COUNT(*) AS n FROM audit_log").first<{ n: number }>())?.n ?? 0;
}

describe("admin metadata depth", () => {
  const writes: { what: string; call: () => Promise<(body: string) => Promise<Response>>; extra?: Record<string, unknown> }[] = [
    { what: "POST /teams", call: async () => (body) => adminRaw("POST", "/teams", body), extra: { name: "deep" } },
    {
      what: "PATCH /teams/{id}",
      call: async () => {
        const id = await newTeam();
        return (body) => adminRaw("PATCH", `/teams/${id}`, body);
      },
    },
    {
      what: "POST /teams/{id}/keys",
      call: async () => {
        const id = await newTeam();
        return (body) => adminRaw("POST", `/teams/${id}/keys`, body);
      },
      extra: { name: "deep" },
    },
    {
      what: "PATCH /keys/{id}",
      call: async () => {
        const id = await newTeam();
        const key = await adminJson<{ id: string }>("POST", `/teams/${id}/keys`, { name: "k" });
        return (body) => adminRaw("PATCH", `/keys/${key.id}`, body);
      },
    },
  ];

  for (const { what, call, extra } of writes) {
    it(`answers ${what} with metadata nested 20,000 deep with 400 invalid_request naming metadata, and writes nothing`, async () => {
      const send = await call();
      const audited = await auditCount();
      const body = await expectAdminError(await send(nestedBody(20_000, extra)), 400, { code: "invalid_request", param: "metadata" });
      expect(body.error.message).toContain(`${MAX_METADATA_DEPTH} levels`);
      expect(await auditCount()).toBe(audited);
    });

    it(`accepts ${what} with metadata nested exactly ${MAX_METADATA_DEPTH} levels, and refuses ${MAX_METADATA_DEPTH + 1}`, async () => {
      const send = await call();
      const ok = await send(nestedBody(MAX_METADATA_DEPTH, extra));
      expect(ok.status).toBeLessThan(300);
      const sent = (await ok.json()) as { metadata: Record<string, unknown> };
      expect(JSON.stringify(sent.metadata)).toBe(JSON.stringify(JSON.parse(nestedBody(MAX_METADATA_DEPTH)).metadata));
      await expectAdminError(await send(nestedBody(MAX_METADATA_DEPTH + 1, extra)), 400, { code: "invalid_request", param: "metadata" });
    });
  }

  it("counts objects as levels too: metadata of objects nested 10,000 deep is refused with 400, and nothing is audited", async () => {
    const id = await newTeam();
    const audited = await auditCount();
    const deep = `${'{"":'.repeat(10_000)}1${"}".repeat(10_000)}`;
    await expectAdminError(await adminRaw("PATCH", `/teams/${id}`, `{"metadata":${deep}}`), 400, { param: "metadata" });
    expect(await auditCount()).toBe(audited);
  });
});
