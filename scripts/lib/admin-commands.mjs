/**
 * The admin CLI's commands: argument parsing, one function per command, and the
 * mapping of failures to exit codes. `run()` takes its I/O as arguments, so it can
 * be driven in-process as well as from scripts/admin-cli.mjs.
 */
import { parseArgs } from "node:util";
import { ApiError, adminClient, ConnectionError, resolveConfig, UsageError } from "./admin-client.mjs";
import { EXPORT_OPTIONS, EXPORTS_HELP, exportCommands } from "./admin-exports.mjs";
import { cell, clean, count, details, microUsd, relative, safeCsv, secretBox, shortTime, table } from "./admin-format.mjs";
import { EXIT_ATTENTION, LEDGER_HELP, ledgerCommands } from "./admin-ledger.mjs";
import { LIMIT_OPTIONS, LIMITS_HELP, limitCommands, policyPairs } from "./admin-limits.mjs";
import { OPERATOR_OPTIONS, OPERATORS_HELP, operatorCommands } from "./admin-operators.mjs";
import { PRICE_OPTIONS, PRICES_HELP, priceCommands } from "./admin-prices.mjs";

export const EXIT = { ok: 0, api: 1, usage: 2, connection: 3, attention: EXIT_ATTENTION };

/** Each group's columns: a team or key id has its current name beside it. */
const GROUP_COLUMNS = {
  team: [
    ["TEAM", "team_id"],
    ["TEAM NAME", "team_name"],
  ],
  key: [
    ["KEY", "key_id"],
    ["KEY NAME", "key_name"],
  ],
  model: [["MODEL", "model"]],
  day: [["DAY", "day"]],
  hour: [["HOUR", "hour"]],
  outcome: [["OUTCOME", "outcome"]],
};
const GROUP_BY = Object.keys(GROUP_COLUMNS);
const MAX_GRACE_SECONDS = 7 * 24 * 3600;

export const HELP = `tensoras-gateway admin CLI

Usage: npm run admin -- <command> [options]

Teams
  teams create --name NAME [--metadata JSON]
  teams list [--include-archived]
  teams show TEAM_ID              (or teams get) with its budget, spend and rate limits
  teams update TEAM_ID [--name NAME] [--metadata JSON]
  teams archive TEAM_ID           revokes all its keys at once; the team and its usage are kept
                                  (hidden from teams list without --include-archived)

Keys
  keys create --team TEAM_ID --name NAME [--models M1,M2] [--expires-at TIME] [--metadata JSON]
                                  prints the secret once: store it then
  keys list --team TEAM_ID
  keys show KEY_ID                (or keys get) with its budget, spend and rate limits
  keys update KEY_ID [--name NAME] [--models M1,M2 | --all-models]
                     [--expires-at TIME | --no-expiry] [--metadata JSON]
  keys rotate KEY_ID [--grace DURATION]
                                  new secret; the old one keeps working for DURATION
                                  (seconds, or 90s / 15m / 1h / 7d; default 0, at most 7d)
  keys revoke KEY_ID              requests with it are refused within ~5s (key cache)

${LIMITS_HELP}
${PRICES_HELP}
Usage and audit
  usage [--from TIME] [--to TIME] [--team TEAM_ID] [--key KEY_ID]
        [--group-by team,key,model,day,hour,outcome] [--csv]
                                  request, token and cost totals (COST USD: the priced
                                  records' sum; UNPRICED: records whose model had no price;
                                  --csv: the API's CSV, formula cells defused with a leading ')
  usage events [--from TIME] [--to TIME] [--team TEAM_ID] [--key KEY_ID] [--limit N]
                                  usage records, oldest first (default --limit 100)
  audit [--target ID] [--actor OPERATOR_ID] [--limit N]
                                  admin changes, newest first, each with its operator
                                  (default --limit 50; --actor admin: the ADMIN_TOKEN)

${LEDGER_HELP}
${EXPORTS_HELP}
${OPERATORS_HELP}
Options
  --json           print the API's JSON instead of a table (pages merged into one document)
  --url URL        gateway URL; default $TGW_URL, else ${"http://127.0.0.1:8787"}
  --token TOKEN    admin token or operator token (tgo_…); default $TGW_ADMIN_TOKEN, $ADMIN_TOKEN, else ADMIN_TOKEN
                   from ./.dev.vars. Prefer the environment: --token lands in shell history.
  -h, --help       this help

TIME is ISO 8601 with an offset (2026-11-24T12:00:00Z) or a date (2026-11-24 = midnight UTC);
--from is inclusive, --to exclusive. Days and hours in --group-by are UTC.

Exit status: 0 done, 1 the API refused (one line on stderr), 2 bad usage, 3 gateway unreachable,
4 done but the ledger needs attention (health degraded, a replay left letters it could not apply).
`;

/** Every option any command takes; `allowed` below says which command takes which. */
const OPTIONS = {
  help: { type: "boolean", short: "h" },
  json: { type: "boolean" },
  url: { type: "string" },
  token: { type: "string" },
  name: { type: "string" },
  metadata: { type: "string" },
  team: { type: "string" },
  key: { type: "string" },
  models: { type: "string" },
  "all-models": { type: "boolean" },
  "expires-at": { type: "string" },
  "no-expiry": { type: "boolean" },
  grace: { type: "string" },
  from: { type: "string" },
  to: { type: "string" },
  "group-by": { type: "string" },
  csv: { type: "boolean" },
  limit: { type: "string" },
  target: { type: "string" },
  actor: { type: "string" },
  "include-archived": { type: "boolean" },
  ...PRICE_OPTIONS,
  ...OPERATOR_OPTIONS,
  ...LIMIT_OPTIONS,
  ...EXPORT_OPTIONS,
};
const GLOBAL = ["help", "json", "url", "token"];

// ---- argument helpers ----------------------------------------------------------------

function jsonObject(text, flag) {
  let value;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${flag} is not valid JSON: ${err instanceof Error ? err.message : err}`);
  }
  if (value === null || typeof value !== "object" || Array.isArray(value))
    throw new UsageError(`${flag} must be a JSON object, like '{"cost_center":"cc-42"}'`);
  return value;
}

function modelList(text) {
  const models = text
    .split(",")
    .map((m) => m.trim())
    .filter((m) => m !== "");
  if (models.length === 0) throw new UsageError("--models needs at least one model name (use --all-models to allow every model)");
  return [...new Set(models)];
}

/**
 * A date alone means midnight UTC. Anything else must at least parse and carry a time
 * zone; it then goes to the API as given, which has the last word.
 */
function time(text, flag) {
  const value = text.trim();
  const example = `like 2026-11-24T12:00:00Z or 2026-11-24, not ${JSON.stringify(text)}`;
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) {
    if (Number.isNaN(Date.parse(value))) throw new UsageError(`${flag} is not a date: ${example}`);
    return `${value}T00:00:00Z`;
  }
  const match = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?$/i.exec(value);
  if (!match || Number.isNaN(Date.parse(value))) throw new UsageError(`${flag} must be an ISO 8601 time ${example}`);
  if (match[1] === undefined) throw new UsageError(`${flag} needs seconds (12:00:00, not 12:00), ${example}`);
  if (match[3] === undefined) throw new UsageError(`${flag} needs a time zone (Z for UTC, or +02:00), ${example}`);
  return value.toUpperCase();
}

function positiveInt(text, flag) {
  if (!/^\d+$/.test(text) || Number(text) < 1)
    throw new UsageError(`${flag} must be a whole number of at least 1, not ${JSON.stringify(text)}`);
  return Number(text);
}

function graceSeconds(text) {
  const match = /^(\d+)([smhd]?)$/.exec(text.trim());
  if (!match) throw new UsageError(`--grace must be seconds or a duration like 90s, 15m, 1h, 7d, not ${JSON.stringify(text)}`);
  const seconds = Number(match[1]) * { "": 1, s: 1, m: 60, h: 3600, d: 86400 }[match[2]];
  if (seconds > MAX_GRACE_SECONDS) throw new UsageError(`--grace is at most 7d (${MAX_GRACE_SECONDS} seconds)`);
  return seconds;
}

function required(values, flag, command) {
  const value = values[flag];
  if (value === undefined || value.trim() === "") throw new UsageError(`${command} needs --${flag}`);
  return value;
}

function oneId(positionals, what, command) {
  if (positionals.length === 0) throw new UsageError(`${command} needs a ${what}: ${command} ${what.toUpperCase().replace(" ", "_")}`);
  if (positionals.length > 1) throw new UsageError(`${command} takes one ${what}, got ${positionals.length}: ${positionals.join(" ")}`);
  return positionals[0];
}

function noPositionals(positionals, command) {
  if (positionals.length > 0) throw new UsageError(`${command} takes no arguments, got: ${positionals.join(" ")}`);
}

const path = (...parts) => parts.map((p) => `/${encodeURIComponent(p)}`).join("");

// ---- views ---------------------------------------------------------------------------

function teamDetails(team) {
  return details([
    ["id", team.id],
    ["name", team.name],
    ["metadata", team.metadata],
    ...policyPairs(team),
    ["created_at", team.created_at],
    ["updated_at", team.updated_at],
    ...(team.archived_at ? [["archived_at", team.archived_at]] : []),
  ]);
}

const models = (key) => (key.models === null ? "all" : key.models.join(","));

function keyDetails(key) {
  return details([
    ["id", key.id],
    ["team_id", key.team_id],
    ["name", key.name],
    ["prefix", key.prefix],
    ["status", key.status],
    ["models", models(key)],
    ["expires_at", key.expires_at ?? "never"],
    ["metadata", key.metadata],
    ...policyPairs(key),
    ["created_at", key.created_at],
    ["updated_at", key.updated_at],
    ["last_used_at", key.last_used_at ?? "never"],
    ["revoked_at", key.revoked_at],
    ["previous_key_expires_at", key.previous_key_expires_at],
  ]);
}

/** What an audit entry changed, in a few words: `name: "a" → "b"`. */
function auditChange(entry) {
  const before = entry.before ?? {};
  const after = entry.after ?? {};
  if (entry.before === null) return after.name !== undefined ? `name: ${JSON.stringify(after.name)}` : "";
  const changed = Object.keys({ ...before, ...after }).filter(
    (field) => field !== "updated_at" && JSON.stringify(before[field]) !== JSON.stringify(after[field]),
  );
  const text = changed
    .map((field) => `${field}: ${JSON.stringify(before[field] ?? null)} → ${JSON.stringify(after[field] ?? null)}`)
    .join("; ");
  return text.length > 100 ? `${text.slice(0, 99)}…` : text;
}

// ---- commands ------------------------------------------------------------------------

/**
 * @typedef {{ values: Record<string, any>, positionals: string[], api: ReturnType<typeof adminClient>, out: (text: string) => void, note: (text: string) => void, color: boolean }} Ctx
 * @type {Record<string, { options: string[], run: (ctx: Ctx) => Promise<void> }>}
 */
const COMMANDS = {
  "teams create": {
    options: ["name", "metadata"],
    async run({ values, positionals, api, out }) {
      noPositionals(positionals, "teams create");
      const body = { name: required(values, "name", "teams create") };
      if (values.metadata !== undefined) body.metadata = jsonObject(values.metadata, "--metadata");
      const team = await api.request("POST", "/teams", { body });
      if (values.json) return out(json(team));
      out(`Created team ${cell(team.name)}\n\n${teamDetails(team)}`);
    },
  },
  "teams list": {
    options: ["include-archived"],
    async run({ values, positionals, api, out }) {
      noPositionals(positionals, "teams list");
      const archived = values["include-archived"] === true;
      const all = await api.collect("/teams", archived ? { include_archived: "true" } : {});
      if (values.json) return out(json(all));
      if (all.data.length === 0) return out("No teams yet: npm run admin -- teams create --name NAME\n");
      out(
        table(
          [
            { header: "ID", value: (t) => t.id },
            { header: "NAME", value: (t) => t.name },
            { header: "CREATED", value: (t) => shortTime(t.created_at) },
            ...(archived ? [{ header: "ARCHIVED", value: (t) => shortTime(t.archived_at) }] : []),
            { header: "METADATA", value: (t) => (Object.keys(t.metadata).length === 0 ? null : t.metadata) },
          ],
          all.data,
        ),
      );
    },
  },
  "teams get": {
    options: [],
    async run({ values, positionals, api, out }) {
      const team = await api.request("GET", path("teams", oneId(positionals, "team id", "teams get")));
      out(values.json ? json(team) : teamDetails(team));
    },
  },
  "teams update": {
    options: ["name", "metadata"],
    async run({ values, positionals, api, out }) {
      const id = oneId(positionals, "team id", "teams update");
      const body = {};
      if (values.name !== undefined) body.name = values.name;
      if (values.metadata !== undefined) body.metadata = jsonObject(values.metadata, "--metadata");
      if (Object.keys(body).length === 0) throw new UsageError("teams update needs --name and/or --metadata");
      const team = await api.request("PATCH", path("teams", id), { body });
      out(values.json ? json(team) : `Updated team ${cell(team.id)}\n\n${teamDetails(team)}`);
    },
  },
  "teams archive": {
    options: [],
    async run({ values, positionals, api, out }) {
      const team = await api.request("DELETE", path("teams", oneId(positionals, "team id", "teams archive")));
      if (values.json) return out(json(team));
      out(`Archived team ${cell(team.name)} (${cell(team.id)}) at ${team.archived_at}: all its keys are revoked.\n`);
      out("Requests with them are refused with 401 within ~5s; the team and its usage stay for the record.\n");
    },
  },

  "keys create": {
    options: ["team", "name", "models", "expires-at", "metadata"],
    async run({ values, positionals, api, out, note, color }) {
      noPositionals(positionals, "keys create");
      const team = required(values, "team", "keys create");
      const body = { name: required(values, "name", "keys create") };
      if (values.models !== undefined) body.models = modelList(values.models);
      if (values["expires-at"] !== undefined) body.expires_at = time(values["expires-at"], "--expires-at");
      if (values.metadata !== undefined) body.metadata = jsonObject(values.metadata, "--metadata");
      const key = await api.request("POST", path("teams", team, "keys"), { body });
      if (values.json) {
        note("note: the key in this output will not be shown again");
        return out(json(key));
      }
      out(`Created key ${cell(key.name)} (${cell(key.id)}) for team ${cell(key.team_id)}\n`);
      out(secretBox(key.key, { color }));
      out(
        `\n${details([
          ["id", key.id],
          ["prefix", key.prefix],
          ["models", models(key)],
          ["expires_at", key.expires_at ?? "never"],
          ...(Object.keys(key.metadata ?? {}).length > 0 ? [["metadata", key.metadata]] : []),
        ])}`,
      );
    },
  },
  "keys list": {
    options: ["team"],
    async run({ values, positionals, api, out }) {
      noPositionals(positionals, "keys list");
      const team = required(values, "team", "keys list");
      const all = await api.collect(path("teams", team, "keys"));
      if (values.json) return out(json(all));
      if (all.data.length === 0)
        return out(`Team ${cell(team)} has no keys yet: npm run admin -- keys create --team ${cell(team)} --name NAME\n`);
      out(
        table(
          [
            { header: "ID", value: (k) => k.id },
            { header: "NAME", value: (k) => k.name },
            { header: "PREFIX", value: (k) => k.prefix },
            { header: "STATUS", value: (k) => k.status },
            { header: "MODELS", value: models },
            { header: "EXPIRES", value: (k) => shortTime(k.expires_at) ?? "never" },
            { header: "LAST USED", value: (k) => shortTime(k.last_used_at) ?? "never" },
            { header: "CREATED", value: (k) => shortTime(k.created_at) },
          ],
          all.data,
        ),
      );
    },
  },
  "keys get": {
    options: [],
    async run({ values, positionals, api, out }) {
      const key = await api.request("GET", path("keys", oneId(positionals, "key id", "keys get")));
      out(values.json ? json(key) : keyDetails(key));
    },
  },
  "keys update": {
    options: ["name", "models", "all-models", "expires-at", "no-expiry", "metadata"],
    async run({ values, positionals, api, out }) {
      const id = oneId(positionals, "key id", "keys update");
      if (values.models !== undefined && values["all-models"]) throw new UsageError("give --models or --all-models, not both");
      if (values["expires-at"] !== undefined && values["no-expiry"]) throw new UsageError("give --expires-at or --no-expiry, not both");
      const body = {};
      if (values.name !== undefined) body.name = values.name;
      if (values.models !== undefined) body.models = modelList(values.models);
      if (values["all-models"]) body.models = null;
      if (values["expires-at"] !== undefined) body.expires_at = time(values["expires-at"], "--expires-at");
      if (values["no-expiry"]) body.expires_at = null;
      if (values.metadata !== undefined) body.metadata = jsonObject(values.metadata, "--metadata");
      if (Object.keys(body).length === 0) {
        throw new UsageError(
          "keys update needs something to change: --name, --models/--all-models, --expires-at/--no-expiry or --metadata",
        );
      }
      const key = await api.request("PATCH", path("keys", id), { body });
      out(values.json ? json(key) : `Updated key ${cell(key.id)}\n\n${keyDetails(key)}`);
    },
  },
  "keys rotate": {
    options: ["grace"],
    async run({ values, positionals, api, out, note, color }) {
      const id = oneId(positionals, "key id", "keys rotate");
      const body = values.grace === undefined ? {} : { grace_seconds: graceSeconds(values.grace) };
      const key = await api.request("POST", path("keys", id, "rotate"), { body });
      if (values.json) {
        note("note: the key in this output will not be shown again");
        return out(json(key));
      }
      out(`Rotated key ${cell(key.name)} (${cell(key.id)}): new prefix ${cell(key.prefix)}\n`);
      out(secretBox(key.key, { color, what: "new key" }));
      // With no grace the API still names when the old secret stopped (now): say it stops, not "keeps working".
      out(
        body.grace_seconds > 0 && key.previous_key_expires_at
          ? `\nThe previous secret keeps working until ${key.previous_key_expires_at} (${relative(key.previous_key_expires_at)}).\n`
          : "\nThe previous secret stops working within ~5s (gateway isolates cache a key for up to 5s).\n",
      );
    },
  },
  "keys revoke": {
    options: [],
    async run({ values, positionals, api, out }) {
      const key = await api.request("DELETE", path("keys", oneId(positionals, "key id", "keys revoke")));
      if (values.json) return out(json(key));
      out(`Revoked key ${cell(key.name)} (${cell(key.id)}, ${cell(key.prefix)}) at ${key.revoked_at}.\n`);
      out("Requests with it are refused with 401 within ~5s (gateway isolates cache a key for up to 5s).\n");
    },
  },

  usage: {
    options: ["from", "to", "team", "key", "group-by", "csv"],
    async run({ values, positionals, api, out }) {
      noPositionals(positionals, "usage");
      if (values.csv && values.json) throw new UsageError("give --csv or --json, not both");
      const groupBy = values["group-by"] === undefined ? [] : [...new Set(values["group-by"].split(",").map((g) => g.trim()))];
      const unknown = groupBy.filter((g) => !GROUP_BY.includes(g));
      if (unknown.length > 0 || (values["group-by"] !== undefined && groupBy.length === 0)) {
        throw new UsageError(`--group-by takes ${GROUP_BY.join(", ")} (comma-separated), not ${JSON.stringify(values["group-by"])}`);
      }
      const query = usageFilter(values);
      if (groupBy.length > 0) query.group_by = groupBy.join(",");
      if (values.csv) return out(safeCsv(await api.request("GET", "/usage", { query: { ...query, format: "csv" }, text: true })));
      // Grouped totals come a page at a time: every group is wanted here (the footer sums them).
      const result = await api.collect("/usage", query);
      if (values.json) return out(json(result));
      if (result.data.length === 0) return out("No usage matches.\n");
      const totals = [
        ["REQUESTS", "requests"],
        ["PROMPT", "prompt_tokens"],
        ["COMPLETION", "completion_tokens"],
        ["TOTAL", "total_tokens"],
        ["CACHED", "cached_tokens"],
        ["REASONING", "reasoning_tokens"],
        ["COST USD", "cost_micro_usd", microUsd],
        ["UNPRICED", "unpriced_requests"],
      ];
      const groups = groupBy.flatMap((g) => GROUP_COLUMNS[g]);
      const columns = [
        ...groups.map(([header, field]) => ({ header, value: (row) => row[field] })),
        ...totals.map(([header, field, show = count]) => ({ header, value: (row) => show(row[field]), right: true })),
      ];
      const footer =
        groupBy.length > 0 && result.data.length > 1
          ? [
              [
                ...groups.map((_, i) => (i === 0 ? "all" : "")),
                ...totals.map(([, field, show = count]) => show(result.data.reduce((sum, row) => sum + row[field], 0))),
              ],
            ]
          : [];
      out(table(columns, result.data, footer));
    },
  },
  "usage events": {
    options: ["from", "to", "team", "key", "limit"],
    async run({ values, positionals, api, out, note }) {
      noPositionals(positionals, "usage events");
      const limit = values.limit === undefined ? 100 : positiveInt(values.limit, "--limit");
      const all = await api.collect("/usage/events", usageFilter(values), limit);
      if (values.json) return out(json(all));
      if (all.data.length === 0) return out("No usage events match.\n");
      out(
        table(
          [
            { header: "STARTED", value: (e) => shortTime(e.started_at) },
            { header: "REQUEST ID", value: (e) => e.request_id },
            { header: "KEY", value: (e) => e.key_id },
            { header: "ENDPOINT", value: (e) => e.endpoint },
            { header: "MODEL", value: (e) => e.model },
            { header: "STREAM", value: (e) => (e.stream ? "yes" : "no") },
            { header: "STATUS", value: (e) => e.status, right: true },
            { header: "OUTCOME", value: (e) => e.outcome },
            { header: "PROMPT", value: (e) => count(e.prompt_tokens), right: true },
            { header: "COMPLETION", value: (e) => count(e.completion_tokens), right: true },
            { header: "SOURCE", value: (e) => e.usage_source },
            { header: "COST USD", value: (e) => microUsd(e.cost_micro_usd), right: true },
            { header: "MS", value: (e) => e.duration_ms, right: true },
          ],
          all.data,
        ),
      );
      if (all.next_cursor !== null) note(`(first ${all.data.length}; more match: raise --limit or narrow --from/--to)`);
    },
  },
  audit: {
    options: ["limit", "target", "actor"],
    async run({ values, positionals, api, out, note }) {
      noPositionals(positionals, "audit");
      const limit = values.limit === undefined ? 50 : positiveInt(values.limit, "--limit");
      const all = await api.collect("/audit", { target_id: values.target, actor: values.actor }, limit);
      if (values.json) return out(json(all));
      if (all.data.length === 0) return out("No audit entries.\n");
      out(
        table(
          [
            { header: "AT", value: (e) => shortTime(e.at) },
            { header: "ACTOR", value: (e) => e.actor_name ?? e.actor },
            { header: "ACTION", value: (e) => e.action },
            { header: "TARGET", value: (e) => e.target_id },
            { header: "CHANGE", value: auditChange },
          ],
          all.data,
        ),
      );
      if (all.next_cursor !== null) note(`(newest ${all.data.length}; older entries exist: raise --limit)`);
    },
  },
  ...priceCommands({ oneId, noPositionals, positiveInt, time, path, json }),
  ...limitCommands({ oneId, positiveInt, path, json, details: { teams: teamDetails, keys: keyDetails } }),
  ...ledgerCommands({ noPositionals, positiveInt, json }),
  ...exportCommands({ noPositionals, positiveInt, json }),
  ...operatorCommands({ oneId, noPositionals, path, json }),
};
COMMANDS["teams show"] = COMMANDS["teams get"];
COMMANDS["keys show"] = COMMANDS["keys get"];

function usageFilter(values) {
  /** @type {Record<string, string>} */
  const query = {};
  if (values.team !== undefined) query.team_id = values.team;
  if (values.key !== undefined) query.key_id = values.key;
  if (values.from !== undefined) query.from = time(values.from, "--from");
  if (values.to !== undefined) query.to = time(values.to, "--to");
  return query;
}

function json(value) {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** `teams list` → "teams list"; `usage` alone, or `usage events`. */
function commandName(positionals) {
  const [group, sub] = positionals;
  if (group === "teams" || group === "keys" || group === "prices" || group === "exports" || group === "operators") {
    const name = `${group} ${sub ?? ""}`.trim();
    if (!COMMANDS[name]) {
      const subs = Object.keys(COMMANDS)
        .filter((c) => c.startsWith(`${group} `))
        .map((c) => c.split(" ")[1]);
      throw new UsageError(
        sub === undefined
          ? `${group} needs a subcommand: ${subs.join(", ")}`
          : `unknown command: ${group} ${sub} (${group} takes ${subs.join(", ")})`,
      );
    }
    return { name, rest: positionals.slice(2) };
  }
  if (group === "usage" && (sub === "events" || sub === "replay")) return { name: `usage ${sub}`, rest: positionals.slice(2) };
  if (group === "usage" || group === "audit" || group === "health") return { name: group, rest: positionals.slice(1) };
  throw new UsageError(
    `unknown command: ${group} (commands: teams, keys, prices, usage, audit, health, exports, operators; see \`npm run admin -- help\`)`,
  );
}

/** node:util's messages, shortened: "unknown option --bogus". */
function parseArgsMessage(error) {
  const message = error instanceof Error ? error.message : String(error);
  const option = /'(-{1,2}[^' ]+)/.exec(message)?.[1];
  switch (error?.code) {
    case "ERR_PARSE_ARGS_UNKNOWN_OPTION":
      return `unknown option ${option ?? message}`;
    case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE":
      if (/argument missing/.test(message)) return `${option} needs a value`;
      if (/ambiguous/.test(message)) return `${option}'s value starts with "-": write it as ${option}=VALUE`;
      if (/does not take an argument/.test(message)) return `${option} takes no value`;
      return message;
    default:
      return message;
  }
}

/**
 * Runs one CLI invocation.
 * @param {string[]} argv arguments after the script name
 * @param {{ env: Record<string, string | undefined>, cwd: string, stdout: (text: string) => void, stderr: (text: string) => void, color?: boolean }} io
 * @returns {Promise<number>} the exit code
 */
export async function run(argv, io) {
  let token;
  // Error lines can quote what the API echoed (a team name): escape control characters, and never show the token.
  const err = (line) => io.stderr(`${clean(token ? line.replaceAll(token, "[redacted]") : line)}\n`);
  try {
    let parsed;
    try {
      parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
    } catch (error) {
      throw new UsageError(parseArgsMessage(error));
    }
    const { values, positionals } = parsed;
    if (values.help || positionals[0] === "help") {
      io.stdout(HELP);
      return EXIT.ok;
    }
    if (positionals.length === 0) {
      io.stderr(HELP);
      return EXIT.usage;
    }
    const { name, rest } = commandName(positionals);
    const command = COMMANDS[name];
    for (const option of Object.keys(values)) {
      if (!GLOBAL.includes(option) && !command.options.includes(option)) {
        const takes = command.options.length > 0 ? ` (it takes ${command.options.map((o) => `--${o}`).join(", ")})` : "";
        throw new UsageError(`${name} does not take --${option}${takes}`);
      }
    }
    if (values.token !== undefined) {
      io.stderr("warning: --token puts the admin token in your shell history and the process list; prefer TGW_ADMIN_TOKEN\n");
    }
    const config = resolveConfig({ url: values.url, token: values.token }, io.env, io.cwd);
    token = config.token;
    const api = adminClient(config);
    let code;
    try {
      code = await command.run({ values, positionals: rest, api, out: io.stdout, note: (text) => err(text), color: Boolean(io.color) });
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) error.tokenSource = config.tokenSource;
      throw error;
    }
    // A command may say it ran but needs attention; most return nothing (or what out() returned).
    return typeof code === "number" ? code : EXIT.ok;
  } catch (error) {
    if (error instanceof UsageError) {
      err(`error: ${error.message}`);
      return EXIT.usage;
    }
    if (error instanceof ApiError) {
      const source = error.tokenSource ? ` [admin token from ${error.tokenSource}]` : "";
      err(`error: ${error.line()}${source}`);
      return EXIT.api;
    }
    if (error instanceof ConnectionError) {
      err(`error: ${error.message}`);
      return EXIT.connection;
    }
    err(`error: unexpected: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return EXIT.api;
  }
}
