import { env } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { MAX_PRICE_USD_PER_MTOK } from "../../src/admin/price-schemas";
import { EFFECTIVE_FROM_SKEW_MS } from "../../src/admin/prices";
import { insertPriceStatement } from "../../src/db/prices";
import { adminCall, adminJson, expectAdminError } from "../helpers/admin";
import { callGateway } from "../helpers/gateway";

afterEach(() => vi.restoreAllMocks());

interface Price {
  id: string;
  model: string;
  input_usd_per_mtok: string;
  cached_input_usd_per_mtok: string;
  output_usd_per_mtok: string;
  max_output_tokens: number;
  context_window: number | null;
  effective_from: string;
  created_at: string;
}
interface AuditEntry {
  action: string;
  target_type: string;
  target_id: string;
  before: unknown;
  after: unknown;
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const ISSUE_BODY = {
  input_usd_per_mtok: "0.59",
  cached_input_usd_per_mtok: "0.295",
  output_usd_per_mtok: "0.79",
  max_output_tokens: 8192,
  context_window: 131072,
};
const SIMPLE_BODY = { input_usd_per_mtok: "0.59", output_usd_per_mtok: "0.79", max_output_tokens: 8192 };

let uniq = 0;
const modelName = (label: string) => `${label}-${++uniq}-${crypto.randomUUID().slice(0, 8)}`;
const at = (msFromNow: number) => new Date(Date.now() + msFromNow).toISOString();
const pricePath = (model: string) => `/prices/${encodeURIComponent(model)}`;

function putPrice(model: string, body: unknown): Promise<Response> {
  return adminCall("PUT", pricePath(model), body);
}

async function versions(model: string): Promise<Price[]> {
  return (await adminJson<{ data: Price[] }>("GET", pricePath(model))).data;
}

async function priceRows(model: string): Promise<number> {
  const row = await env.DB.prepare("SELECT count(*) AS n FROM prices WHERE model = ?").bind(model).first<{ n: number }>();
  return row?.n ?? 0;
}

/** A version that took effect in the past: the API refuses to write one, another isolate's old PUT did. */
async function seedPastPrice(model: string, effectiveFrom: string, input: number): Promise<void> {
  await insertPriceStatement(env.DB, {
    id: `price_seed_${crypto.randomUUID()}`,
    model,
    input_pico_per_token: input,
    cached_input_pico_per_token: input,
    output_pico_per_token: input,
    max_output_tokens: 4096,
    context_window: null,
    effective_from: effectiveFrom,
    created_at: effectiveFrom,
  }).run();
}

describe("PUT /admin/prices/{model}", () => {
  it("creates a version with 201: the issue's body comes back with an id, effective_from now and created_at", async () => {
    const model = modelName("llama-3.3-70b");
    const before = Date.now();
    const res = await putPrice(model, ISSUE_BODY);
    expect(res.status).toBe(201);
    const price = (await res.json()) as Price;
    expect(price).toEqual({
      id: expect.stringMatching(/^price_[0-9a-f-]{36}$/),
      model,
      ...ISSUE_BODY,
      effective_from: expect.stringMatching(ISO),
      created_at: expect.stringMatching(ISO),
    });
    expect(price.effective_from).toBe(price.created_at);
    expect(Date.parse(price.effective_from)).toBeGreaterThanOrEqual(before);
    expect(Date.parse(price.effective_from)).toBeLessThanOrEqual(Date.now());
  });

  it("defaults cached_input_usd_per_mtok to the input price and context_window to null", async () => {
    const price = (await (await putPrice(modelName("defaults"), SIMPLE_BODY)).json()) as Price;
    expect(price).toMatchObject({ input_usd_per_mtok: "0.59", cached_input_usd_per_mtok: "0.59", context_window: null });
  });

  it("stores prices exactly and answers them in canonical form (trailing zeros dropped)", async () => {
    const model = modelName("canonical");
    const res = await putPrice(model, { ...SIMPLE_BODY, input_usd_per_mtok: "50.00", output_usd_per_mtok: "0.000001" });
    expect(await res.json()).toMatchObject({ input_usd_per_mtok: "50", output_usd_per_mtok: "0.000001" });
    const row = await env.DB.prepare("SELECT input_pico_per_token, output_pico_per_token FROM prices WHERE model = ?").bind(model).first();
    expect(row).toEqual({ input_pico_per_token: 50_000_000, output_pico_per_token: 1 });
  });

  it('accepts a free model (every price "0")', async () => {
    const res = await putPrice(modelName("free"), { ...SIMPLE_BODY, input_usd_per_mtok: "0", output_usd_per_mtok: "0" });
    expect(res.status).toBe(201);
  });

  it("takes a future effective_from, stored in toISOString form whatever offset it was sent with", async () => {
    const future = new Date(Date.now() + 86_400_000);
    const withOffset = `${future.toISOString().slice(0, 19)}+02:00`;
    const price = (await (await putPrice(modelName("offset"), { ...SIMPLE_BODY, effective_from: withOffset })).json()) as Price;
    expect(price.effective_from).toBe(new Date(Date.parse(withOffset)).toISOString());
  });

  it("refuses an effective_from in the past, writing nothing", async () => {
    const model = modelName("past");
    for (const effective_from of [at(-EFFECTIVE_FROM_SKEW_MS - 2_000), "2020-01-01T00:00:00Z"]) {
      const body = await expectAdminError(await putPrice(model, { ...SIMPLE_BODY, effective_from }), 400, {
        code: "invalid_request",
        param: "effective_from",
      });
      expect(body.error.message).toMatch(/past/);
    }
    expect(await priceRows(model)).toBe(0);
  });

  it("takes an effective_from a moment in the past (a caller's clock skew) as now, never earlier", async () => {
    const sent = at(-1_000);
    const price = (await (await putPrice(modelName("skew"), { ...SIMPLE_BODY, effective_from: sent })).json()) as Price;
    expect(price.effective_from).toBe(price.created_at);
    expect(Date.parse(price.effective_from)).toBeGreaterThan(Date.parse(sent));
  });

  it.each([
    ["1e3", /exponent/],
    ["-1", /sign/],
    ["0.1234567", /at most 6 decimals/],
    ["abc", /decimal string/],
    ["", /not empty/],
    [0.59, /JSON numbers are not exact/],
    [null, /decimal string/],
    [String(MAX_PRICE_USD_PER_MTOK + 1), /at most 1000000/],
  ])("answers 400 naming each price field for %j, writing nothing", async (bad, why) => {
    const model = modelName("bad-decimal");
    for (const field of ["input_usd_per_mtok", "cached_input_usd_per_mtok", "output_usd_per_mtok"]) {
      const body = await expectAdminError(await putPrice(model, { ...ISSUE_BODY, [field]: bad }), 400, {
        code: "invalid_request",
        param: field,
      });
      expect(body.error.message).toMatch(why);
      expect(body.error.message).toContain(field);
    }
    expect(await priceRows(model)).toBe(0);
  });

  it("answers 400 naming a missing required field", async () => {
    for (const field of ["input_usd_per_mtok", "output_usd_per_mtok", "max_output_tokens"]) {
      const body: Record<string, unknown> = { ...SIMPLE_BODY };
      delete body[field];
      await expectAdminError(await putPrice(modelName("missing"), body), 400, { param: field });
    }
  });

  it("answers 400 naming an unknown field (the body is strict)", async () => {
    const body = await expectAdminError(await putPrice(modelName("strict"), { ...SIMPLE_BODY, currency: "EUR" }), 400, {
      param: "currency",
    });
    expect(body.error.message).toContain("currency");
  });

  it("answers 400 for token limits that are not positive integers, or an output limit beyond the context window", async () => {
    for (const max_output_tokens of [0, -1, 1.5, "8192", 100_000_001]) {
      await expectAdminError(await putPrice(modelName("tokens"), { ...SIMPLE_BODY, max_output_tokens }), 400, {
        param: "max_output_tokens",
      });
    }
    await expectAdminError(await putPrice(modelName("ctx"), { ...SIMPLE_BODY, context_window: 0 }), 400, { param: "context_window" });
    await expectAdminError(await putPrice(modelName("ctx"), { ...SIMPLE_BODY, max_output_tokens: 9000, context_window: 8192 }), 400, {
      param: "max_output_tokens",
    });
  });

  it("answers 400 naming `model` for a model id with control characters, surrounding spaces or over 200 characters", async () => {
    for (const model of ["bad\nmodel", "esc\u001b[2J", " padded", "padded ", "m".repeat(201)]) {
      await expectAdminError(await putPrice(model, SIMPLE_BODY), 400, { code: "invalid_request", param: "model" });
    }
    expect((await putPrice("m".repeat(200), SIMPLE_BODY)).status).toBe(201);
  });

  it("takes a model id with a slash when it is percent-encoded in the path", async () => {
    const model = `${modelName("org")}/Llama-3.3-70B`;
    expect(await (await putPrice(model, SIMPLE_BODY)).json()).toMatchObject({ model });
    expect((await versions(model)).map((v) => v.model)).toEqual([model]);
  });

  it("writes one audit entry per PUT: price.create on the model, after = the new version", async () => {
    const model = modelName("audited");
    const price = (await (await putPrice(model, ISSUE_BODY)).json()) as Price;
    const audit = await adminJson<{ data: AuditEntry[] }>("GET", `/audit?target_id=${encodeURIComponent(model)}`);
    expect(audit.data).toEqual([
      expect.objectContaining({ action: "price.create", target_type: "price", target_id: model, before: null, after: price }),
    ]);
  });

  it("writes neither the version nor its audit entry when the batch fails", async () => {
    const model = modelName("atomic");
    // The audit insert fails when it runs (its NOT NULL `at` gets NULL), after the price insert ran.
    const realPrepare = env.DB.prepare.bind(env.DB);
    vi.spyOn(env.DB, "prepare").mockImplementation((query: string) =>
      realPrepare(
        query.startsWith("INSERT INTO audit_log") ? query.replace("VALUES (?, ?,", "VALUES (?, CASE WHEN ? IS NULL THEN 1 END,") : query,
      ),
    );
    vi.spyOn(console, "error").mockImplementation(() => {});
    const res = await putPrice(model, SIMPLE_BODY);
    expect(res.status).toBe(500);
    vi.restoreAllMocks();
    expect(await priceRows(model)).toBe(0);
  });
});

describe("GET /admin/prices/{model}", () => {
  it("lists every version newest first by effective_from, future ones included, none edited by a later PUT", async () => {
    const model = modelName("history");
    const now = (await (await putPrice(model, SIMPLE_BODY)).json()) as Price;
    const later = (await (
      await putPrice(model, { ...SIMPLE_BODY, input_usd_per_mtok: "0.7", effective_from: at(7 * 86_400_000) })
    ).json()) as Price;
    const sooner = (await (
      await putPrice(model, { ...SIMPLE_BODY, input_usd_per_mtok: "0.65", effective_from: at(86_400_000) })
    ).json()) as Price;
    expect(await versions(model)).toEqual([later, sooner, now]);
  });

  it("orders versions with the same effective_from by id, newest id first", async () => {
    const model = modelName("same-time");
    const effective_from = at(3_600_000);
    const first = (await (await putPrice(model, { ...SIMPLE_BODY, effective_from })).json()) as Price;
    const second = (await (await putPrice(model, { ...SIMPLE_BODY, effective_from, input_usd_per_mtok: "1" })).json()) as Price;
    expect(second.id > first.id).toBe(true);
    expect((await versions(model)).map((v) => v.id)).toEqual([second.id, first.id]);
  });

  it("answers 404 price_not_found for a model with no price", async () => {
    await expectAdminError(await adminCall("GET", pricePath(modelName("unpriced"))), 404, {
      code: "price_not_found",
      type: "not_found_error",
    });
  });
});

describe("GET /admin/prices", () => {
  it("lists, per model, the version in force now: not a future one, and not a model whose versions all lie ahead", async () => {
    const current = modelName("current");
    await seedPastPrice(current, at(-86_400_000), 500_000);
    const inForce = (await (await putPrice(current, SIMPLE_BODY)).json()) as Price;
    await putPrice(current, { ...SIMPLE_BODY, input_usd_per_mtok: "0.99", effective_from: at(86_400_000) });
    const upcoming = modelName("upcoming");
    await putPrice(upcoming, { ...SIMPLE_BODY, effective_from: at(86_400_000) });

    const list = await adminJson<{ data: Price[] }>("GET", "/prices");

    expect(Object.keys(list)).toEqual(["data"]);
    expect(list.data.filter((p) => p.model === current)).toEqual([inForce]);
    expect(list.data.some((p) => p.model === upcoming)).toBe(false);
    const models = list.data.map((p) => p.model);
    expect(models).toEqual([...models].sort());
    expect(new Set(models).size).toBe(models.length);
  });

  it("keeps listing the older version until a scheduled one takes effect", async () => {
    const model = modelName("scheduled");
    await seedPastPrice(model, at(-60_000), 400_000);
    await putPrice(model, { ...SIMPLE_BODY, effective_from: at(3_600_000) });
    const listed = (await adminJson<{ data: Price[] }>("GET", "/prices")).data.filter((p) => p.model === model);
    expect(listed.map((p) => p.input_usd_per_mtok)).toEqual(["0.4"]);
  });
});

describe("prices and the admin token", () => {
  it("answers 401 on every price route without the admin token, writing nothing", async () => {
    const model = modelName("guarded");
    for (const [method, path, body] of [
      ["PUT", pricePath(model), SIMPLE_BODY],
      ["GET", "/prices", undefined],
      ["GET", pricePath(model), undefined],
    ] as const) {
      await expectAdminError(await adminCall(method, path, body, null), 401, { code: "missing_admin_token", type: "authentication_error" });
      await expectAdminError(await adminCall(method, path, body, "not-the-token"), 401, { code: "invalid_admin_token" });
    }
    expect(await priceRows(model)).toBe(0);
  });

  it("is in the OpenAPI document with operationIds putPrice, listPrices and getPriceVersions and a strict body", async () => {
    const doc = await adminJson<{
      paths: Record<string, Record<string, { operationId?: string }>>;
      components: { schemas: Record<string, { additionalProperties?: unknown; required?: string[] }> };
    }>("GET", "/openapi.json");
    expect(doc.paths["/prices/{model}"]?.put?.operationId).toBe("putPrice");
    expect(doc.paths["/prices"]?.get?.operationId).toBe("listPrices");
    expect(doc.paths["/prices/{model}"]?.get?.operationId).toBe("getPriceVersions");
    expect(doc.components.schemas.PriceSet?.additionalProperties).toBe(false);
    expect(doc.components.schemas.PriceSet?.required?.sort()).toEqual(["input_usd_per_mtok", "max_output_tokens", "output_usd_per_mtok"]);
    expect(doc.components.schemas.Price).toBeDefined();
  });

  it("refuses a body that is not JSON with 400 invalid_json", async () => {
    const res = await callGateway(`/admin${pricePath(modelName("garbage"))}`, {
      method: "PUT",
      headers: { authorization: "Bearer admin-token-for-tests" },
      body: "{not json",
    });
    await expectAdminError(res, 400, { code: "invalid_json" });
  });
});
