import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { admin } from "./admin";
import { gatewayKeyAuth } from "./auth/gateway-key-auth";
import { dashboard } from "./dashboard";
import type { AppEnv } from "./env";
import { errorResponse, GatewayError } from "./errors";
import { metering } from "./metering/meter";
import { dataPlane } from "./proxy/routes";
import { requestId } from "./request-id";

export const app = new Hono<AppEnv>();

app.use(requestId());

app.get("/healthz", (c) => c.json({ status: "ok" }));

// Order matters: authenticate first (no record for an anonymous caller), then
// meter every authenticated request, whatever happens to it next.
app.use("/v1/*", gatewayKeyAuth(), metering());
app.route("/v1", dataPlane);
app.route("/admin", admin);
app.route("/dashboard", dashboard);

// Returned, not thrown: a thrown error here skips the metering middleware's epilogue.
app.notFound((c) =>
  errorResponse(new GatewayError(404, "unknown_route", `Unknown route: ${c.req.method} ${c.req.path}.`), c.get("requestId")),
);

app.onError((err, c) => {
  if (err instanceof GatewayError) return errorResponse(err, c.get("requestId"));
  if (err instanceof HTTPException) {
    // Hono's validators throw these for a body that is not JSON.
    const code = err.status === 400 ? "invalid_json" : "http_error";
    return errorResponse(new GatewayError(err.status, code, err.message || "Request failed."), c.get("requestId"));
  }
  // Unexpected: log what happened (never the request's headers, which hold keys) and answer 500.
  console.error(JSON.stringify({ message: "unhandled error", request_id: c.get("requestId"), error: String(err), stack: err.stack }));
  return errorResponse(new GatewayError(500, "internal_error", "The gateway failed to handle this request."), c.get("requestId"));
});
