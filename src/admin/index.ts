import { limitBody } from "../proxy/body";
import { audit } from "./audit";
import { adminAuth } from "./auth";
import { authorize } from "./authorize";
import { ledgerExports } from "./exports";
import { jsonContentType } from "./json-content-type";
import { keyLifecycle } from "./key-lifecycle";
import { keyList } from "./key-list";
import { keys } from "./keys";
import { ledger } from "./ledger";
import { operators } from "./operators";
import { prices } from "./prices";
import { adminRouter } from "./routes-common";
import { teamArchive } from "./team-archive";
import { teams } from "./teams";
import { usage } from "./usage";

/** Team and key bodies are small; metadata is not a file store. */
const MAX_ADMIN_BODY_BYTES = 64 * 1024;

/** The control plane: teams, keys, usage and audit, all behind the admin token. */
export const admin = adminRouter();

admin.use(
  adminAuth(),
  authorize(),
  limitBody(() => MAX_ADMIN_BODY_BYTES),
  jsonContentType(),
);
admin.route("/", teams);
admin.route("/", teamArchive);
admin.route("/", keys);
admin.route("/", keyLifecycle);
admin.route("/", keyList);
admin.route("/", usage);
admin.route("/", audit);
admin.route("/", ledger);
admin.route("/", prices);
admin.route("/", ledgerExports);
admin.route("/", operators);

admin.openAPIRegistry.registerComponent("securitySchemes", "adminToken", { type: "http", scheme: "bearer" });

admin.doc31("/openapi.json", {
  openapi: "3.1.0",
  info: {
    title: "tensoras-gateway admin API",
    version: "1",
    description: "Teams, gateway keys, usage and audit. Every route needs `Authorization: Bearer <ADMIN_TOKEN>`.",
  },
  servers: [{ url: "/admin" }],
  security: [{ adminToken: [] }],
});
