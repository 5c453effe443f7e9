import { createRoute } from "@hono/zod-openapi";
import { v7 as uuidv7 } from "uuid";
import { insertPriceStatement, listPricesInForce, listPriceVersions, type PriceRow } from "../db/prices";
import { GatewayError } from "../errors";
import { formatMillionths, parseMillionths } from "../pricing/decimal";
import { forgetPrices } from "../pricing/price-store";
import { PriceListSchema, PriceParam, PricePutBody, PriceSchema } from "./price-schemas";
import { adminRouter, ERRORS, json, jsonBody } from "./routes-common";
import { ErrorSchema } from "./schemas";
import { auditStatement } from "./views";

/**
 * How far before now an effective_from is still taken (as now): the caller's clock may
 * be a little behind. Anything earlier is refused, because a record's cost is computed
 * when it is recorded, from the price in force at its start, and must stay final.
 */
export const EFFECTIVE_FROM_SKEW_MS = 5_000;

function priceView(row: PriceRow) {
  return {
    id: row.id,
    model: row.model,
    input_usd_per_mtok: formatMillionths(row.input_pico_per_token),
    cached_input_usd_per_mtok: formatMillionths(row.cached_input_pico_per_token),
    output_usd_per_mtok: formatMillionths(row.output_pico_per_token),
    max_output_tokens: row.max_output_tokens,
    context_window: row.context_window,
    effective_from: row.effective_from,
    created_at: row.created_at,
  };
}

/** effective_from as stored: never before now, in toISOString form whatever offset it came with. */
function effectiveFrom(requested: string | undefined, now: number): string {
  const at = requested === undefined ? now : Date.parse(requested);
  if (at < now - EFFECTIVE_FROM_SKEW_MS) {
    throw new GatewayError(
      400,
      "invalid_request",
      "Invalid effective_from: it must not be in the past (prices never change retroactively).",
      {
        param: "effective_from",
      },
    );
  }
  return new Date(Math.max(at, now)).toISOString();
}

const NOT_FOUND = json(ErrorSchema, "The model has no price");

export const prices = adminRouter();

prices.openapi(
  createRoute({
    method: "put",
    path: "/prices/{model}",
    operationId: "putPrice",
    summary: "Add a price version for a model, in force from effective_from (default now)",
    request: { params: PriceParam, ...jsonBody(PricePutBody) },
    responses: { 201: json(PriceSchema, "The new price version"), 400: ERRORS[400], 401: ERRORS[401] },
  }),
  async function putPrice(c) {
    const { model } = c.req.valid("param");
    const body = c.req.valid("json");
    const now = Date.now();
    const input = parseMillionths(body.input_usd_per_mtok);
    const row: PriceRow = {
      id: `price_${uuidv7()}`,
      model,
      input_pico_per_token: input,
      cached_input_pico_per_token: body.cached_input_usd_per_mtok === undefined ? input : parseMillionths(body.cached_input_usd_per_mtok),
      output_pico_per_token: parseMillionths(body.output_usd_per_mtok),
      max_output_tokens: body.max_output_tokens,
      context_window: body.context_window ?? null,
      effective_from: effectiveFrom(body.effective_from, now),
      created_at: new Date(now).toISOString(),
    };
    const price = priceView(row);
    // A version is created, never edited: target_id is the model, so ?target_id=<model> is its price history.
    await c.env.DB.batch([
      insertPriceStatement(c.env.DB, row),
      auditStatement(c.env.DB, c.var.operator, {
        action: "price.create",
        targetType: "price",
        targetId: model,
        before: null,
        after: price,
      }),
    ]);
    forgetPrices(model);
    return c.json(price, 201);
  },
);

prices.openapi(
  createRoute({
    method: "get",
    path: "/prices",
    operationId: "listPrices",
    summary: "The price version in force now for each priced model (a model whose versions all lie ahead is not listed)",
    responses: { 200: json(PriceListSchema, "One version per model, by model id"), 401: ERRORS[401] },
  }),
  async function listPrices(c) {
    const rows = await listPricesInForce(c.env.DB, new Date().toISOString());
    return c.json({ data: rows.map(priceView) }, 200);
  },
);

prices.openapi(
  createRoute({
    method: "get",
    path: "/prices/{model}",
    operationId: "getPriceVersions",
    summary: "Every price version of a model, newest first (by effective_from, then id), future ones included",
    request: { params: PriceParam },
    responses: { 200: json(PriceListSchema, "The model's versions"), 400: ERRORS[400], 401: ERRORS[401], 404: NOT_FOUND },
  }),
  async function getPriceVersions(c) {
    const { model } = c.req.valid("param");
    const rows = await listPriceVersions(c.env.DB, model);
    if (rows.length === 0) throw new GatewayError(404, "price_not_found", `No price for model "${model}".`);
    return c.json({ data: rows.map(priceView) }, 200);
  },
);
