import { z } from "@hono/zod-openapi";
import { OPERATOR_ROLES } from "./operator";
import { NO_CONTROL_CHARACTERS } from "./schemas";

const timestamp = z.iso.datetime({ offset: true }).openapi({ example: "2026-12-01T12:00:00.000Z" });
// Names end up in terminals and audit views: no control characters (as team and key names).
const name = z.string().trim().min(1).max(200).regex(NO_CONTROL_CHARACTERS, "must not contain control characters");

export const OperatorSchema = z
  .object({
    id: z.string().openapi({ example: "op_01a2db5c-…" }),
    name: z.string(),
    role: z.enum(OPERATOR_ROLES).openapi({
      description:
        "owner: everything; team_admin: the keys, usage and budgets of team_ids only; viewer: read-only usage, usage events, prices, exports and audit",
    }),
    team_ids: z.array(z.string()).openapi({ description: "The teams a team_admin manages; [] for the other roles" }),
    email: z.string().nullable().openapi({ description: "The Cloudflare Access identity that signs in as this operator (lower-case)" }),
    prefix: z.string().openapi({ description: "The token's first characters, for recognising it; not a secret", example: "tgo_AbC123" }),
    status: z.enum(["active", "revoked"]),
    created_at: timestamp,
    updated_at: timestamp,
    revoked_at: timestamp.nullable(),
  })
  .openapi("Operator");

export const OperatorCreatedSchema = OperatorSchema.extend({
  token: z.string().openapi({ description: "The operator's bearer token. Shown only in this response: store it now.", example: "tgo_…" }),
}).openapi("OperatorCreated");

export const OperatorCreateBody = z
  .strictObject({
    name,
    role: z.enum(OPERATOR_ROLES),
    team_ids: z
      .array(z.string().min(1).max(200))
      .min(1)
      .max(100)
      .optional()
      .openapi({ description: "Required for team_admin (teams that exist), refused for the other roles" }),
    email: z
      .email()
      .max(320)
      .optional()
      .openapi({ description: "Unique among live operators; needs ACCESS_TEAM_DOMAIN and ACCESS_AUD to be used" }),
  })
  .openapi("OperatorCreate");

export const OperatorParam = z.object({
  operator_id: z
    .string()
    .min(1)
    .openapi({ param: { name: "operator_id", in: "path" } }),
});
