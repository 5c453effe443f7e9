/**
 * The admin CLI's price commands: `prices list`, `prices show MODEL`, `prices set MODEL …`.
 * Prices are sent as typed, as decimal strings (USD per million tokens): the API checks
 * them and has the last word. The argument helpers come from admin-commands.mjs, passed
 * in, so that the two files do not import each other.
 */
import { UsageError } from "./admin-client.mjs";
import { cell, details, relative, shortTime, table } from "./admin-format.mjs";

export const PRICE_OPTIONS = {
  input: { type: "string" },
  output: { type: "string" },
  "cached-input": { type: "string" },
  "max-output": { type: "string" },
  "context-window": { type: "string" },
  "effective-from": { type: "string" },
};

export const PRICES_HELP = `Prices (USD per million tokens, as decimals with at most 6 places: 0.59)
  prices list                     the version in force now for each model
  prices show MODEL               every version of MODEL, newest first
  prices set MODEL --input USD --output USD --max-output N [--cached-input USD]
                   [--context-window N] [--effective-from TIME]
                                  add a version, in force from TIME (default now, never in
                                  the past); --cached-input defaults to --input
`;

/** A price's figures as table columns. */
const FIGURES = [
  { header: "INPUT $/MTOK", value: (p) => p.input_usd_per_mtok, right: true },
  { header: "CACHED $/MTOK", value: (p) => p.cached_input_usd_per_mtok, right: true },
  { header: "OUTPUT $/MTOK", value: (p) => p.output_usd_per_mtok, right: true },
  { header: "MAX OUTPUT", value: (p) => p.max_output_tokens, right: true },
  { header: "CONTEXT", value: (p) => p.context_window, right: true },
];

function priceDetails(price) {
  return details([
    ["id", price.id],
    ["model", price.model],
    ["input_usd_per_mtok", price.input_usd_per_mtok],
    ["cached_input_usd_per_mtok", price.cached_input_usd_per_mtok],
    ["output_usd_per_mtok", price.output_usd_per_mtok],
    ["max_output_tokens", price.max_output_tokens],
    ["context_window", price.context_window ?? "-"],
    ["effective_from", price.effective_from],
    ["created_at", price.created_at],
  ]);
}

/** Versions come newest first: the first one already in effect is in force, those before it are scheduled. */
function statuses(versions, now = Date.now()) {
  const current = versions.findIndex((v) => Date.parse(v.effective_from) <= now);
  return versions.map((_, i) => (current === -1 || i < current ? "scheduled" : i === current ? "in force" : "superseded"));
}

/**
 * @param {{ oneId: Function, noPositionals: Function, positiveInt: Function, time: Function, path: Function, json: Function }} helpers
 */
export function priceCommands({ oneId, noPositionals, positiveInt, time, path, json }) {
  return {
    "prices list": {
      options: [],
      async run({ values, positionals, api, out }) {
        noPositionals(positionals, "prices list");
        const list = await api.request("GET", "/prices");
        if (values.json) return out(json(list));
        if (list.data.length === 0)
          return out("No model has a price in force: npm run admin -- prices set MODEL --input USD --output USD --max-output N\n");
        out(
          table(
            [{ header: "MODEL", value: (p) => p.model }, ...FIGURES, { header: "SINCE", value: (p) => shortTime(p.effective_from) }],
            list.data,
          ),
        );
      },
    },
    "prices show": {
      options: [],
      async run({ values, positionals, api, out }) {
        const model = oneId(positionals, "model", "prices show");
        const list = await api.request("GET", path("prices", model));
        if (values.json) return out(json(list));
        const status = statuses(list.data);
        const rows = list.data.map((price, i) => ({ ...price, status: status[i] }));
        out(`Prices of ${cell(model)}, newest first\n\n`);
        out(
          table(
            [
              { header: "EFFECTIVE FROM", value: (p) => shortTime(p.effective_from) },
              { header: "STATUS", value: (p) => p.status },
              ...FIGURES,
              { header: "ID", value: (p) => p.id },
            ],
            rows,
          ),
        );
      },
    },
    "prices set": {
      options: ["input", "output", "cached-input", "max-output", "context-window", "effective-from"],
      async run({ values, positionals, api, out }) {
        const model = oneId(positionals, "model", "prices set");
        const missing = ["input", "output", "max-output"].filter((flag) => values[flag] === undefined || values[flag].trim() === "");
        if (missing.length > 0) throw new UsageError(`prices set needs ${missing.map((flag) => `--${flag}`).join(", ")}`);
        const body = {
          input_usd_per_mtok: values.input.trim(),
          output_usd_per_mtok: values.output.trim(),
          max_output_tokens: positiveInt(values["max-output"], "--max-output"),
        };
        if (values["cached-input"] !== undefined) body.cached_input_usd_per_mtok = values["cached-input"].trim();
        if (values["context-window"] !== undefined) body.context_window = positiveInt(values["context-window"], "--context-window");
        if (values["effective-from"] !== undefined) body.effective_from = time(values["effective-from"], "--effective-from");
        const price = await api.request("PUT", path("prices", model), { body });
        if (values.json) return out(json(price));
        const when = Date.parse(price.effective_from) > Date.now() ? ` (${relative(price.effective_from)})` : " (now)";
        out(`New price for ${cell(price.model)}, in force from ${price.effective_from}${when}\n\n${priceDetails(price)}`);
      },
    },
  };
}
