/**
 * The admin CLI's operator commands: named admin credentials with a role. A token is
 * printed once, by `operators create` and `operators rotate`; the gateway keeps its hash.
 * The argument helpers come from admin-commands.mjs, passed in, so that the two files do
 * not import each other.
 */
import { UsageError } from "./admin-client.mjs";
import { details, secretBox, shortTime, table } from "./admin-format.mjs";

const ROLES = ["owner", "team_admin", "viewer"];

export const OPERATOR_OPTIONS = {
  role: { type: "string" },
  email: { type: "string" },
};

export const OPERATORS_HELP = `Operators (named admin credentials; owner only)
  operators create --name NAME --role owner|team_admin|viewer [--team TEAM_ID[,TEAM_ID…]]
                   [--email EMAIL]
                                  prints the operator's token once: store it then. --team is
                                  required for team_admin (and refused otherwise); --email maps
                                  a Cloudflare Access identity to the operator
  operators list
  operators show OPERATOR_ID
  operators rotate OPERATOR_ID    new token; the old one is refused within ~5s (at once here)
  operators revoke OPERATOR_ID    its token is refused within ~5s (operator cache)
`;

function operatorDetails(op) {
  return details([
    ["id", op.id],
    ["name", op.name],
    ["role", op.role],
    ["team_ids", op.team_ids.length === 0 ? "-" : op.team_ids.join(", ")],
    ["email", op.email ?? "-"],
    ["prefix", op.prefix],
    ["status", op.status],
    ["created_at", op.created_at],
    ["revoked_at", op.revoked_at ?? "-"],
  ]);
}

function teamIds(text) {
  const ids = text
    .split(",")
    .map((id) => id.trim())
    .filter((id) => id !== "");
  if (ids.length === 0) throw new UsageError("--team needs at least one team id");
  return ids;
}

/**
 * @param {{ oneId: Function, noPositionals: Function, path: Function, json: Function }} helpers
 */
export function operatorCommands({ oneId, noPositionals, path, json }) {
  return {
    "operators create": {
      options: ["name", "role", "team", "email"],
      async run({ values, positionals, api, out, color }) {
        noPositionals(positionals, "operators create");
        if (!values.name) throw new UsageError("operators create needs --name NAME");
        if (!ROLES.includes(values.role)) throw new UsageError(`operators create needs --role ${ROLES.join("|")}`);
        const body = { name: values.name, role: values.role };
        if (values.team !== undefined) body.team_ids = teamIds(values.team);
        if (values.email !== undefined) body.email = values.email;
        const op = await api.request("POST", "/operators", { body });
        if (values.json) return out(json(op));
        out(`Created operator ${op.id} (${op.role})\n\n${operatorDetails(op)}`);
        out(secretBox(op.token, { color, what: "operator token" }));
      },
    },
    "operators list": {
      options: [],
      async run({ values, positionals, api, out }) {
        noPositionals(positionals, "operators list");
        const all = await api.collect("/operators");
        if (values.json) return out(json(all));
        if (all.data.length === 0) return out("No operators yet: npm run admin -- operators create --name NAME --role ROLE\n");
        out(
          table(
            [
              { header: "ID", value: (o) => o.id },
              { header: "NAME", value: (o) => o.name },
              { header: "ROLE", value: (o) => o.role },
              { header: "TEAMS", value: (o) => (o.team_ids.length === 0 ? "-" : o.team_ids.join(",")) },
              { header: "EMAIL", value: (o) => o.email ?? "-" },
              { header: "PREFIX", value: (o) => o.prefix },
              { header: "STATUS", value: (o) => o.status },
              { header: "CREATED", value: (o) => shortTime(o.created_at) },
            ],
            all.data,
          ),
        );
      },
    },
    "operators show": {
      options: [],
      async run({ values, positionals, api, out }) {
        const id = oneId(positionals, "operator id", "operators show");
        const op = await api.request("GET", path("operators", id));
        out(values.json ? json(op) : operatorDetails(op));
      },
    },
    "operators rotate": {
      options: [],
      async run({ values, positionals, api, out, color }) {
        const id = oneId(positionals, "operator id", "operators rotate");
        const op = await api.request("POST", path("operators", id, "rotate"));
        if (values.json) return out(json(op));
        out(`Rotated the token of ${op.id}; the old token is refused from now (within ~5s everywhere)\n`);
        out(secretBox(op.token, { color, what: "new operator token" }));
      },
    },
    "operators revoke": {
      options: [],
      async run({ values, positionals, api, out }) {
        const id = oneId(positionals, "operator id", "operators revoke");
        const op = await api.request("DELETE", path("operators", id));
        if (values.json) return out(json(op));
        out(`Revoked ${op.id}; its token is refused within ~5s\n\n${operatorDetails(op)}`);
      },
    },
  };
}
