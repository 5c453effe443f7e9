import { z } from "zod";

export const OUTCOMES = ["completed", "client_aborted", "upstream_error", "upstream_unreachable", "rejected"] as const;
export const USAGE_SOURCES = ["upstream", "estimated", "none"] as const;

const tokenCount = z.number().int().nonnegative();

/**
 * One row of the billing ledger: one per authenticated request, whatever its
 * outcome. The single source for the producer (the request path), the queue
 * consumer and the usage_events table. Holds no prompt text and no secret.
 */
export const UsageRecordSchema = z.object({
  request_id: z.string().min(1),
  team_id: z.string().min(1),
  key_id: z.string().min(1),
  endpoint: z.string().min(1),
  model: z.string().nullable(),
  stream: z.boolean(),
  status: z.number().int(),
  outcome: z.enum(OUTCOMES),
  finish_reason: z.string().nullable(),
  prompt_tokens: tokenCount,
  completion_tokens: tokenCount,
  total_tokens: tokenCount,
  cached_tokens: tokenCount,
  reasoning_tokens: tokenCount,
  usage_source: z.enum(USAGE_SOURCES),
  started_at: z.iso.datetime(),
  ttfb_ms: z.number().int().nonnegative().nullable(),
  duration_ms: z.number().int().nonnegative(),
});

export type UsageRecord = z.infer<typeof UsageRecordSchema>;
export type Outcome = (typeof OUTCOMES)[number];
export type UsageSource = (typeof USAGE_SOURCES)[number];
