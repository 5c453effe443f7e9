import { z } from "zod";

/**
 * `interrupted`: the gateway noted that the request started, and no final record came
 * within INTERRUPTED_AFTER_SECONDS (the isolate died: a deploy, an eviction, a crash).
 * The sweep writes it; a final record that arrives later supersedes it.
 */
export const OUTCOMES = ["completed", "client_aborted", "upstream_error", "upstream_unreachable", "rejected", "interrupted"] as const;
export const USAGE_SOURCES = ["upstream", "estimated", "none"] as const;

/** What a client-supplied model name may be once recorded (see ledgerModelName). */
export const MAX_MODEL_NAME_LENGTH = 200;
/** An endpoint is the request's path; /v1/models/{id} carries the caller's text too. */
export const MAX_ENDPOINT_LENGTH = 300;

const tokenCount = z.number().int().nonnegative();

/**
 * One row of the billing ledger: one per authenticated request, whatever its
 * outcome. The single source for the producer (the request path), the queue
 * consumer and the usage_events table. Holds no prompt text and no secret.
 */
/** What a record and a started note both say of a request: who, where, when. */
const RequestIdentity = {
  request_id: z.string().min(1),
  team_id: z.string().min(1),
  key_id: z.string().min(1),
  endpoint: z.string().min(1).max(MAX_ENDPOINT_LENGTH),
  model: z.string().max(MAX_MODEL_NAME_LENGTH).nullable(),
  stream: z.boolean(),
  started_at: z.iso.datetime(),
  /** The request held a reservation in its team's limits object, to settle (not stored with the record). */
  reserved: z.boolean().optional(),
};

export const UsageRecordSchema = z.object({
  ...RequestIdentity,
  status: z.number().int(),
  outcome: z.enum(OUTCOMES),
  finish_reason: z.string().nullable(),
  prompt_tokens: tokenCount,
  completion_tokens: tokenCount,
  total_tokens: tokenCount,
  cached_tokens: tokenCount,
  reasoning_tokens: tokenCount,
  usage_source: z.enum(USAGE_SOURCES),
  ttfb_ms: z.number().int().nonnegative().nullable(),
  duration_ms: z.number().int().nonnegative(),
  /**
   * Integer micro-USD at the price in force at started_at; null when the model has no
   * price. Absent on a message the producer could not price (D1 unreachable): the
   * consumer prices it before writing.
   */
  cost_micro_usd: z.number().int().nonnegative().nullable().optional(),
  price_id: z.string().nullable().optional(),
});

/**
 * The durable note that a request was forwarded, sent beside the upstream call. It is
 * never usage on its own: the final record supersedes it, and only the sweep turns a
 * note left without one into an `interrupted` record, estimated from `prompt_tokens`.
 */
export const StartedNoteSchema = z.object({
  kind: z.literal("started"),
  ...RequestIdentity,
  /** The estimate of the prompt, billed if the request is never heard of again. */
  prompt_tokens: tokenCount,
  /** False for requests that cost nothing (listing models): an interrupted one is billed no tokens. */
  costs_tokens: z.boolean(),
});

export type UsageRecord = z.infer<typeof UsageRecordSchema>;
/** A record as the ledger stores it: priced. */
export type PricedRecord = UsageRecord & { cost_micro_usd: number | null; price_id: string | null };
export type StartedNote = z.infer<typeof StartedNoteSchema>;
export type Outcome = (typeof OUTCOMES)[number];
export type UsageSource = (typeof USAGE_SOURCES)[number];

/** A usage queue message: a final record (no `kind`, as before started notes existed) or a started note. */
export type UsageMessage = UsageRecord | StartedNote;

export type ParsedUsageMessage =
  | { kind: "record"; record: UsageRecord }
  | { kind: "started"; note: StartedNote }
  | { kind: "invalid"; error: string };

export function parseUsageMessage(body: unknown): ParsedUsageMessage {
  const isNote = typeof body === "object" && body !== null && (body as { kind?: unknown }).kind === "started";
  const parsed = isNote ? StartedNoteSchema.safeParse(body) : UsageRecordSchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return {
      kind: "invalid",
      error: `invalid ${isNote ? "started note" : "usage record"}: ${issue?.path.join(".") || "body"}: ${issue?.message}`,
    };
  }
  return isNote ? { kind: "started", note: parsed.data as StartedNote } : { kind: "record", record: parsed.data as UsageRecord };
}

/**
 * Text from the caller (a model name, a path) goes into the ledger, CSV exports and
 * terminals: kept to `max` characters with control characters replaced, in this one
 * place, whatever the request path saw.
 */
export function ledgerText(text: string, max: number): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: replacing control characters is the point
  const clean = text.replace(/[\u0000-\u001f\u007f-\u009f]/g, "\uFFFD");
  if (clean.length <= max) return clean;
  // Never cut a surrogate pair in half: a lone surrogate is not valid UTF-8 text.
  const cut = clean.slice(0, max);
  return /[\uD800-\uDBFF]$/.test(cut) ? cut.slice(0, -1) : cut;
}

export function ledgerModelName(model: string | null): string | null {
  return model === null ? null : ledgerText(model, MAX_MODEL_NAME_LENGTH);
}
