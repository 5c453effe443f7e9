import { OpenAPIHono, type z } from "@hono/zod-openapi";
import type { AppEnv } from "../env";
import { GatewayError } from "../errors";
import { ErrorSchema } from "./schemas";

/** A sub-app whose validation failures are 400s in the OpenAI error shape, naming the field. */
export function adminRouter(): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (result.success) return;
      const issue = result.error.issues[0];
      // A misspelt field is named by itself; a query parameter by its name alone (not "group_by.1").
      const path = issue?.code === "unrecognized_keys" ? [...issue.path, ...issue.keys.slice(0, 1)] : (issue?.path ?? []);
      const named = result.target === "query" ? path.slice(0, 1) : path;
      const param = named.length > 0 ? named.join(".") : null;
      const where = param ?? (result.target === "json" ? "body" : result.target);
      throw new GatewayError(400, "invalid_request", `Invalid ${where}: ${issue?.message ?? "not accepted"}.`, { param });
    },
  });
}

export const json = <T extends z.ZodType>(schema: T, description: string) => ({
  content: { "application/json": { schema } },
  description,
});

const error = (description: string) => json(ErrorSchema, description);

export const ERRORS = {
  400: error("Invalid body or query; `param` names the field"),
  401: error("Missing or wrong admin token"),
  403: error("The operator's role may not do this (`forbidden`)"),
  404: error("No such team or key"),
  409: error("Conflicts with the current state"),
} as const;

export const jsonBody = <T extends z.ZodType>(schema: T, required = true) => ({
  body: { content: { "application/json": { schema } }, required },
});

export function nowIso(): string {
  return new Date().toISOString();
}
