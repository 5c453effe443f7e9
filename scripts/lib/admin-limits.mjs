/**
 * The admin CLI's spend-control commands: budgets and rate limits on a team or a key
 * (`teams set-budget`, `keys set-limits`, …), and how `teams show` / `keys show` print
 * them. Each is one PATCH of the team or key (`null` removes). The argument helpers come
 * from admin-commands.mjs, passed in, so that the two files do not import each other.
 */
import { UsageError } from "./admin-client.mjs";
import { cell, count, relative } from "./admin-format.mjs";

const PERIODS = ["day", "month", "total"];

export const LIMIT_OPTIONS = {
  "limit-usd": { type: "string" },
  period: { type: "string" },
  rpm: { type: "string" },
  tpm: { type: "string" },
};

export const LIMITS_HELP = `Budgets and rate limits (a key's requests are held to its own and its team's;
a change reaches every gateway isolate within ~5s)
  teams set-budget TEAM_ID --limit-usd USD --period day|month|total
                                  USD as a decimal (50.00); day and month are UTC calendar
                                  periods, total never resets; a request whose worst case
                                  no longer fits is refused with 429 budget_exceeded
  teams clear-budget TEAM_ID
  teams set-limits TEAM_ID [--rpm N] [--tpm N]
                                  requests / tokens per minute (exact sliding 60 s window);
                                  replaces both: one left out is no limit
  teams clear-limits TEAM_ID
  keys set-budget KEY_ID …, keys clear-budget KEY_ID, keys set-limits KEY_ID …,
  keys clear-limits KEY_ID        the same, for one key
`;

const PER_PERIOD = { day: "per UTC day", month: "per UTC month", total: "in total (never resets)" };

/** `12.50 USD`; null (the limits object could not be asked) says so instead of a wrong 0. */
const usd = (text) => (text === null || text === undefined ? "unknown (the limits object could not be asked)" : `${text} USD`);

/**
 * The budget and limits lines of `teams show` / `keys show`.
 * @param {{ budget: { limit_usd: string, period: string, spent_usd: string | null, reserved_usd: string | null, resets_at: string | null } | null, limits: { requests_per_minute: number | null, tokens_per_minute: number | null } | null }} view
 * @returns {[string, unknown][]}
 */
export function policyPairs({ budget, limits }) {
  const perMinute = (n) => (n === null ? "no limit" : count(n));
  return [
    ...(budget === null || budget === undefined
      ? [["budget", "none"]]
      : [
          ["budget", `${budget.limit_usd} USD ${PER_PERIOD[budget.period] ?? cell(budget.period)}`],
          ["budget_spent", usd(budget.spent_usd)],
          ["budget_reserved", usd(budget.reserved_usd)],
          ["budget_resets_at", budget.resets_at === null ? "never" : `${budget.resets_at} (${relative(budget.resets_at)})`],
        ]),
    ...(limits === null || limits === undefined
      ? [["limits", "none"]]
      : [
          ["requests_per_minute", perMinute(limits.requests_per_minute)],
          ["tokens_per_minute", perMinute(limits.tokens_per_minute)],
        ]),
  ];
}

/**
 * @param {{ oneId: Function, positiveInt: Function, path: Function, json: Function, details: { teams: (team: any) => string, keys: (key: any) => string } }} helpers
 */
export function limitCommands({ oneId, positiveInt, path, json, details }) {
  /** One PATCH of a team or key with `body`; prints `done` and the whole view. */
  function patchCommand(group, sub, options, bodyOf, done) {
    const what = group === "teams" ? "team" : "key";
    const command = `${group} ${sub}`;
    return {
      [command]: {
        options,
        async run({ values, positionals, api, out }) {
          const id = oneId(positionals, `${what} id`, command);
          const body = bodyOf(values, command);
          const view = await api.request("PATCH", path(group, id), { body });
          out(values.json ? json(view) : `${done(view, what)}\n\n${details[group](view)}`);
        },
      },
    };
  }

  function budgetBody(values, command) {
    const missing = ["limit-usd", "period"].filter((flag) => values[flag] === undefined || values[flag].trim() === "");
    if (missing.length > 0) throw new UsageError(`${command} needs ${missing.map((flag) => `--${flag}`).join(", ")}`);
    const period = values.period.trim();
    if (!PERIODS.includes(period)) throw new UsageError(`--period takes ${PERIODS.join(", ")}, not ${JSON.stringify(values.period)}`);
    // As typed: the API checks the decimal and has the last word (400 naming budget.limit_usd).
    return { budget: { limit_usd: values["limit-usd"].trim(), period } };
  }

  function limitsBody(values, command) {
    if (values.rpm === undefined && values.tpm === undefined)
      throw new UsageError(`${command} needs --rpm and/or --tpm (${command.split(" ")[0]} clear-limits removes them)`);
    return {
      limits: {
        requests_per_minute: values.rpm === undefined ? null : positiveInt(values.rpm, "--rpm"),
        tokens_per_minute: values.tpm === undefined ? null : positiveInt(values.tpm, "--tpm"),
      },
    };
  }

  const commands = {};
  for (const group of ["teams", "keys"]) {
    Object.assign(
      commands,
      patchCommand(
        group,
        "set-budget",
        ["limit-usd", "period"],
        budgetBody,
        (view, what) => `Set the budget of ${what} ${cell(view.id)}: ${view.budget.limit_usd} USD ${PER_PERIOD[view.budget.period]}`,
      ),
      patchCommand(
        group,
        "clear-budget",
        [],
        () => ({ budget: null }),
        (view, what) => `Removed the budget of ${what} ${cell(view.id)}`,
      ),
      patchCommand(group, "set-limits", ["rpm", "tpm"], limitsBody, (view, what) => `Set the rate limits of ${what} ${cell(view.id)}`),
      patchCommand(
        group,
        "clear-limits",
        [],
        () => ({ limits: null }),
        (view, what) => `Removed the rate limits of ${what} ${cell(view.id)}`,
      ),
    );
  }
  return commands;
}
