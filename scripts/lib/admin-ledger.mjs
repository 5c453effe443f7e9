/**
 * The admin CLI's ledger commands: `health` (GET /admin/health) and `usage replay`
 * (POST /admin/usage/replay). Both exit 4 when the ledger needs an operator: health
 * degraded, or dead letters that a replay could not apply. The argument helpers come
 * from admin-commands.mjs, passed in, so that the two files do not import each other.
 */
import { cell, count, details, relative, table } from "./admin-format.mjs";

/** Exit code of a command that ran but found the ledger needing attention. */
export const EXIT_ATTENTION = 4;

export const LEDGER_HELP = `Ledger
  health                          the ledger's lag, parked dead letters and open started
                                  requests (exit 4 when degraded)
  usage replay [--limit N]        apply up to N parked dead letters (default 100, at most
                                  1000), idempotently by request id (exit 4 if any failed)
`;

const when = (iso) => (iso === null ? "-" : `${iso} (${relative(iso)})`);

function healthDetails(health) {
  const { ledger, dead_letters: dead, started_requests: started } = health;
  const lag =
    ledger.lag_ms.rows === 0
      ? "no rows recorded in the last 5 minutes"
      : `p50 ${count(ledger.lag_ms.p50)} ms, max ${count(ledger.lag_ms.max)} ms over ${count(ledger.lag_ms.rows)} rows (last 5 minutes)`;
  return details([
    ["status", health.status],
    ["last_recorded_at", when(ledger.last_recorded_at)],
    ["ledger_lag", lag],
    ["dead_letters", count(dead.count)],
    ["oldest_dead_letter", when(dead.oldest_parked_at)],
    ["started_open", `${count(started.open)} (in flight, or lost with their isolate)`],
    ["oldest_started_at", when(started.oldest_started_at)],
    ["interrupted_after", `${count(started.interrupted_after_seconds)} s`],
  ]);
}

/** What an operator does about a degraded ledger. */
function healthHints(health) {
  const hints = [];
  if (health.dead_letters.count > 0)
    hints.push("Usage records are parked as dead letters: fix what failed, then npm run admin -- usage replay");
  const age = health.started_requests.oldest_age_seconds;
  if (age !== null && age > health.started_requests.interrupted_after_seconds) {
    hints.push(
      "A started request has had no record for longer than INTERRUPTED_AFTER_SECONDS: the sweep (Cron Trigger, every 5 minutes) records it as interrupted; check that the cron runs",
    );
  }
  return hints.length === 0 ? "" : `\n${hints.join("\n")}\n`;
}

/**
 * @param {{ noPositionals: Function, positiveInt: Function, json: Function }} helpers
 */
export function ledgerCommands({ noPositionals, positiveInt, json }) {
  return {
    health: {
      options: [],
      async run({ values, positionals, api, out }) {
        noPositionals(positionals, "health");
        const health = await api.request("GET", "/health");
        out(values.json ? json(health) : `${healthDetails(health)}${healthHints(health)}`);
        return health.status === "ok" ? 0 : EXIT_ATTENTION;
      },
    },
    "usage replay": {
      options: ["limit"],
      async run({ values, positionals, api, out }) {
        noPositionals(positionals, "usage replay");
        const body = values.limit === undefined ? {} : { limit: positiveInt(values.limit, "--limit") };
        const result = await api.request("POST", "/usage/replay", { body });
        if (values.json) {
          out(json(result));
        } else {
          const still = result.remaining > 0 ? `; ${count(result.remaining)} still parked` : "; none left parked";
          out(`Replayed ${count(result.replayed)} dead letter${result.replayed === 1 ? "" : "s"}${still}.\n`);
          if (result.failed.length > 0) {
            out(`\n${count(result.failed.length)} could not be applied (kept, with the new error):\n\n`);
            out(
              table(
                [
                  { header: "MESSAGE ID", value: (f) => f.message_id },
                  { header: "REQUEST ID", value: (f) => f.request_id },
                  { header: "ERROR", value: (f) => cell(f.error).slice(0, 200) },
                ],
                result.failed,
              ),
            );
          } else if (result.remaining > 0) {
            out("Run it again (or raise --limit) for the rest.\n");
          }
        }
        return result.failed.length > 0 ? EXIT_ATTENTION : 0;
      },
    },
  };
}
