import { z } from "@hono/zod-openapi";
import { MAX_MODEL_NAME_LENGTH } from "../metering/usage-record";
import { decimalProblem, MAX_DECIMALS, MAX_WHOLE_DIGITS, MILLIONTHS_PER_UNIT, parseMillionths, UsdDecimal } from "../pricing/decimal";
import { NO_CONTROL_CHARACTERS } from "./schemas";

/**
 * Shapes of /admin/prices. Prices travel as decimal strings (USD per million tokens,
 * at most 6 decimals) and are stored as exact integers (see src/pricing/decimal.ts).
 */

/** $1 a token. Bounds every cost the gateway computes (tokens × price) well inside a safe integer. */
export const MAX_PRICE_USD_PER_MTOK = 1_000_000;
/** Far beyond any model's window; keeps token bounds (and their cost) finite. */
export const MAX_TOKENS = 100_000_000;

const timestamp = z.iso.datetime({ offset: true }).openapi({ example: "2026-12-01T00:00:00.000Z" });

/** A model id as clients send it: exact (no trimming), bounded like the ledger's model names, no control characters. */
const ModelId = z
  .string()
  .min(1)
  .max(MAX_MODEL_NAME_LENGTH)
  .regex(NO_CONTROL_CHARACTERS, "must not contain control characters")
  .regex(/^\S(.*\S)?$/su, "must not start or end with whitespace");

export const PriceParam = z.object({
  model: ModelId.openapi({ param: { name: "model", in: "path" }, example: "llama-3.3-70b" }),
});

const usdPerMtok = (description: string) =>
  // Runs after UsdDecimal's own check even when that failed (zod goes on): parse only what is valid.
  UsdDecimal.refine((text) => decimalProblem(text) !== null || parseMillionths(text) <= MAX_PRICE_USD_PER_MTOK * MILLIONTHS_PER_UNIT, {
    message: `must be at most ${MAX_PRICE_USD_PER_MTOK} (USD per million tokens)`,
  }).openapi({
    type: "string",
    pattern: `^\\d{1,${MAX_WHOLE_DIGITS}}(\\.\\d{1,${MAX_DECIMALS}})?$`,
    example: "0.59",
    description: `${description}, in USD per million tokens: a decimal string with at most ${MAX_DECIMALS} decimals.`,
  });

const tokens = z.number().int().min(1).max(MAX_TOKENS);

export const PricePutBody = z
  .strictObject({
    input_usd_per_mtok: usdPerMtok("Prompt tokens"),
    cached_input_usd_per_mtok: usdPerMtok("Cached prompt tokens (default: the input price)").optional(),
    output_usd_per_mtok: usdPerMtok("Completion tokens, reasoning included"),
    max_output_tokens: tokens.openapi({
      example: 8192,
      description: "Completion tokens a request may produce when it sets no max_tokens: the worst case a budget reserves.",
    }),
    context_window: tokens.optional().openapi({ example: 131072, description: "Caps the prompt-token bound of a reservation." }),
    effective_from: timestamp.optional().openapi({
      description: "When this version takes effect (default: now). Not in the past: a price never changes retroactively.",
    }),
  })
  .refine((body) => body.context_window === undefined || body.max_output_tokens <= body.context_window, {
    path: ["max_output_tokens"],
    message: "must not exceed context_window",
  })
  .openapi("PriceSet");

export const PriceSchema = z
  .object({
    id: z.string().openapi({ example: "price_01a2db5c-278e-7350-9400-262822fedb68" }),
    model: z.string(),
    input_usd_per_mtok: z.string().openapi({ example: "0.59" }),
    cached_input_usd_per_mtok: z.string().openapi({ example: "0.295" }),
    output_usd_per_mtok: z.string().openapi({ example: "0.79" }),
    max_output_tokens: z.number().int(),
    context_window: z.number().int().nullable(),
    effective_from: timestamp,
    created_at: timestamp,
  })
  .openapi("Price");

export const PriceListSchema = z.object({ data: z.array(PriceSchema) }).openapi("PriceList");
