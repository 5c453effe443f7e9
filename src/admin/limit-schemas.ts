import { z } from "@hono/zod-openapi";
import { BUDGET_PERIODS } from "../limits/periods";
import { UsdDecimal } from "../pricing/decimal";

/**
 * Budgets and rate limits as the admin API takes and shows them, on a team or a key
 * (`PATCH /admin/teams/{id}`, `PATCH /admin/keys/{id}`; `null` removes).
 */

export const BudgetInput = z
  .strictObject({
    limit_usd: UsdDecimal.openapi({ example: "50.00", description: "USD, at most 6 decimals, as a string" }),
    period: z.enum(BUDGET_PERIODS).openapi({ description: "day and month are UTC calendar periods; total never resets" }),
  })
  .openapi("BudgetInput");

const perMinute = (what: string) =>
  z
    .number()
    .int()
    .min(1)
    .max(1_000_000_000)
    .nullable()
    .optional()
    .openapi({ description: `${what} in any 60-second window (sliding); null or absent: no limit` });

export const LimitsInput = z
  .strictObject({
    requests_per_minute: perMinute("Requests started"),
    tokens_per_minute: perMinute("Tokens (reserved at the worst case, settled to actual)"),
  })
  .openapi("LimitsInput");

export const BudgetView = z
  .object({
    limit_usd: z.string().openapi({ example: "50.00" }),
    period: z.enum(BUDGET_PERIODS),
    spent_usd: z
      .string()
      .nullable()
      .openapi({ description: "Settled cost in the current period (null: the limits object could not be asked)", example: "12.345678" }),
    reserved_usd: z.string().nullable().openapi({ description: "Worst cases held by requests in flight", example: "0.004" }),
    resets_at: z.string().nullable().openapi({ description: "When the period ends (UTC); null for total" }),
  })
  .nullable()
  .openapi("Budget");

export const LimitsView = z
  .object({ requests_per_minute: z.number().int().nullable(), tokens_per_minute: z.number().int().nullable() })
  .nullable()
  .openapi("Limits");
