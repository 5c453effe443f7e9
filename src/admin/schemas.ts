import { z } from "@hono/zod-openapi";
import { OUTCOMES, USAGE_SOURCES } from "../metering/usage-record";
import { BudgetInput, BudgetView, LimitsInput, LimitsView } from "./limit-schemas";

/**
 * The admin API's shapes: the same schemas validate requests, type the
 * handlers and generate /admin/openapi.json, so the document cannot drift.
 * Request bodies are strict: a misspelt field is a 400 naming it, not a no-op.
 */

/**
 * How deep metadata may nest (the metadata object itself is level 1). Its size is
 * bounded by the admin body limit; its depth must be too, because JSON.stringify, which
 * the audit write and every answer use, recurses: 20,000 levels overflow the stack.
 */
export const MAX_METADATA_DEPTH = 16;

/** An iterative walk (no recursion over client input): true if `value` nests deeper than `limit`. */
function nestsDeeperThan(value: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    const [node, depth] = next;
    if (depth > limit) return true;
    for (const child of Object.values(node as object)) {
      if (child !== null && typeof child === "object") stack.push([child, depth + 1]);
    }
  }
  return false;
}

const timestamp = z.iso.datetime({ offset: true }).openapi({ example: "2026-11-24T12:00:00.000Z" });
const Metadata = z
  .record(z.string(), z.unknown())
  .refine((value) => !nestsDeeperThan(value, MAX_METADATA_DEPTH), `must not nest deeper than ${MAX_METADATA_DEPTH} levels`)
  .openapi({ example: { cost_center: "cc-42" }, description: `Any JSON object, nested at most ${MAX_METADATA_DEPTH} levels deep.` });
/**
 * Unicode's Cc (C0, DEL, C1) refused, spelled without the `u` flag: the OpenAPI document
 * carries the regex source, and a JSON Schema pattern has no flags (`\p{Cc}` with /u came out
 * as the pattern "^[^\p{Cc}]*$/u", which no name matches).
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
export const NO_CONTROL_CHARACTERS = /^[^\u0000-\u001f\u007f-\u009f]*$/;

// Names end up in terminals, CSV and audit views: no control characters.
const name = z.string().trim().min(1).max(200).regex(NO_CONTROL_CHARACTERS, "must not contain control characters");
const modelList = z
  .array(z.string().min(1).max(200))
  .max(100)
  .openapi({ example: ["llama-3.3-70b", "llama-3.1-8b"] });

export const ErrorSchema = z
  .object({
    error: z.object({ message: z.string(), type: z.string(), param: z.string().nullable(), code: z.string().nullable() }),
  })
  .openapi("Error");

export const TeamSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    metadata: Metadata,
    budget: BudgetView,
    limits: LimitsView,
    created_at: timestamp,
    updated_at: timestamp,
    archived_at: timestamp.nullable().openapi({
      description: "When the team was archived (DELETE /teams/{team_id}): kept with its usage, its keys revoked; null while live.",
    }),
  })
  .openapi("Team");

export const TeamCreateBody = z.strictObject({ name, metadata: Metadata.optional() }).openapi("TeamCreate");
export const TeamPatchBody = z
  .strictObject({
    name: name.optional(),
    metadata: Metadata.optional(),
    budget: BudgetInput.nullable().optional().openapi({ description: "null removes the budget" }),
    limits: LimitsInput.nullable().optional().openapi({ description: "null removes the limits" }),
  })
  .openapi("TeamPatch");

export const KEY_STATUSES = ["active", "expired", "revoked"] as const;

export const KeySchema = z
  .object({
    id: z.string(),
    team_id: z.string(),
    name: z.string(),
    prefix: z.string().openapi({ description: "The key's first characters, for recognising it; not a secret.", example: "tgw_AbC123" }),
    models: z.array(z.string()).nullable().openapi({ description: "Allowed models; null means every model." }),
    expires_at: timestamp.nullable(),
    metadata: Metadata,
    budget: BudgetView,
    limits: LimitsView,
    status: z.enum(KEY_STATUSES),
    created_at: timestamp,
    updated_at: timestamp,
    last_used_at: timestamp.nullable(),
    revoked_at: timestamp.nullable(),
    previous_key_expires_at: timestamp.nullable().openapi({
      description:
        "When the secret replaced by the last rotation stops working (the rotation itself with no grace period); after it, that secret is refused as api_key_rotated.",
    }),
  })
  .openapi("Key");

export const KeyCreatedSchema = KeySchema.extend({
  key: z.string().openapi({ description: "The secret. Shown only in this response: store it now.", example: "tgw_…" }),
}).openapi("KeyCreated");

export const KeyCreateBody = z
  .strictObject({ name, models: modelList.optional(), expires_at: timestamp.optional(), metadata: Metadata.optional() })
  .openapi("KeyCreate");

export const KeyPatchBody = z
  .strictObject({
    name: name.optional(),
    models: modelList.nullable().optional(),
    expires_at: timestamp.nullable().optional(),
    metadata: Metadata.optional(),
    budget: BudgetInput.nullable().optional().openapi({ description: "null removes the budget" }),
    limits: LimitsInput.nullable().optional().openapi({ description: "null removes the limits" }),
  })
  .openapi("KeyPatch");

/** Seven days: the longest two secrets of one key may both work. */
export const MAX_GRACE_SECONDS = 7 * 24 * 3600;

/**
 * A key has one previous secret at most: rotating again during a grace period
 * ends the older secret's grace at once (documented in the route and README).
 */
export const RotateBody = z.strictObject({ grace_seconds: z.number().int().min(0).max(MAX_GRACE_SECONDS).default(0) }).openapi("KeyRotate");

export const TeamParam = z.object({
  team_id: z
    .string()
    .min(1)
    .openapi({ param: { name: "team_id", in: "path" } }),
});
export const KeyParam = z.object({
  key_id: z
    .string()
    .min(1)
    .openapi({ param: { name: "key_id", in: "path" } }),
});

const limit = z.coerce.number().int().min(1).max(1000).default(100);
const cursor = z.string().min(1).optional().openapi({ description: "next_cursor of the previous page" });

export const PageQuery = z.object({ limit, cursor });

export const TeamListQuery = PageQuery.extend({
  include_archived: z
    .enum(["true", "false"])
    .optional()
    .openapi({ description: "true lists archived teams too (by default they are left out)" }),
});

export const UsageRecordSchema = z
  .object({
    request_id: z.string(),
    team_id: z.string(),
    key_id: z.string(),
    endpoint: z.string(),
    model: z.string().nullable(),
    stream: z.boolean(),
    status: z.number().int(),
    outcome: z.enum(OUTCOMES),
    finish_reason: z.string().nullable(),
    prompt_tokens: z.number().int(),
    completion_tokens: z.number().int(),
    total_tokens: z.number().int(),
    cached_tokens: z.number().int(),
    reasoning_tokens: z.number().int(),
    usage_source: z.enum(USAGE_SOURCES),
    started_at: timestamp,
    ttfb_ms: z.number().int().nullable(),
    duration_ms: z.number().int(),
    cost_micro_usd: z
      .number()
      .int()
      .nullable()
      .openapi({ description: "Integer micro-USD at the price in force at started_at; null when the model has no price" }),
    price_id: z.string().nullable().openapi({ description: "The price version used (GET /admin/prices/{model})" }),
    team_name: z.string().nullable().openapi({ description: "The team's name now (null if it no longer exists)" }),
    key_name: z.string().nullable().openapi({ description: "The key's name now" }),
  })
  .openapi("UsageRecord");

const usageFilter = {
  team_id: z.string().min(1).optional(),
  key_id: z.string().min(1).optional(),
  from: timestamp.optional().openapi({ description: "inclusive, by started_at" }),
  to: timestamp.optional().openapi({ description: "exclusive, by started_at" }),
};

export const UsageEventsQuery = z.object({ ...usageFilter, limit, cursor });

export const GROUP_BY = ["team", "key", "model", "day", "hour", "outcome"] as const;

export const UsageSummaryQuery = z.object({
  ...usageFilter,
  // A preprocess rather than a transform: the document then shows the array of GROUP_BY values.
  group_by: z
    .preprocess((value) => (value === undefined ? [] : [value].flat().flatMap((v) => String(v).split(","))), z.array(z.enum(GROUP_BY)))
    .openapi({ description: "team, key, model, day (UTC), hour (UTC) and/or outcome; repeat the parameter or separate with commas" }),
  format: z.enum(["json", "csv"]).default("json"),
  limit: limit.openapi({ description: "Groups per page (JSON); CSV returns every group" }),
  cursor,
});

export const UsageTotalsSchema = z
  .object({
    team_id: z.string().optional(),
    team_name: z.string().nullable().optional().openapi({ description: "Beside team_id when grouped by team" }),
    key_id: z.string().optional(),
    key_name: z.string().nullable().optional().openapi({ description: "Beside key_id when grouped by key" }),
    model: z.string().nullable().optional(),
    day: z.string().optional().openapi({ description: "The UTC day, when grouped by day", example: "2026-12-01" }),
    hour: z.string().optional().openapi({ description: "The UTC hour's start, when grouped by hour", example: "2026-12-01T13:00:00Z" }),
    outcome: z.enum(OUTCOMES).optional().openapi({ description: "When grouped by outcome" }),
    requests: z.number().int(),
    prompt_tokens: z.number().int(),
    completion_tokens: z.number().int(),
    total_tokens: z.number().int(),
    cached_tokens: z.number().int(),
    reasoning_tokens: z.number().int(),
    cost_micro_usd: z.number().int().openapi({ description: "Sum of the records' cost_micro_usd (integer micro-USD)" }),
    unpriced_requests: z.number().int().openapi({ description: "Records whose model had no price (cost_micro_usd null, not in the sum)" }),
  })
  .openapi("UsageTotals");

export const AuditEntrySchema = z
  .object({
    id: z.string(),
    at: timestamp,
    actor: z.string().openapi({ description: "The operator's id (`admin` on entries older than operators, and for the ADMIN_TOKEN)" }),
    actor_id: z
      .string()
      .nullable()
      .openapi({ description: "The operator's id (`admin` for the ADMIN_TOKEN); null on older entries", example: "op_01a2db5c-…" }),
    actor_name: z.string().nullable().openapi({ description: "The operator's name when the change was made; null on older entries" }),
    action: z.string().openapi({ example: "key.revoke" }),
    target_type: z.enum(["team", "key", "price", "operator"]),
    target_id: z.string(),
    before: z.record(z.string(), z.unknown()).nullable(),
    after: z.record(z.string(), z.unknown()).nullable(),
  })
  .openapi("AuditEntry");

export const AuditQuery = z.object({
  limit,
  cursor,
  target_id: z.string().min(1).optional(),
  actor: z
    .string()
    .min(1)
    .optional()
    .openapi({ description: "Entries made by this operator id (`admin`: the ADMIN_TOKEN and every older entry)" }),
});

export const page = <T extends z.ZodType>(item: T, title: string) =>
  z.object({ data: z.array(item), next_cursor: z.string().nullable() }).openapi(title);
