import type { Operator } from "../admin/operator";
import { Layout } from "./layout";
import { formatUsd } from "./overview-data";
import { TableScroll } from "./table-scroll";

/** GET /admin/health as the API answers it. */
export interface Health {
  status: string;
  ledger: { last_recorded_at: string | null; lag_ms: { p50: number | null; max: number | null; rows: number } };
  dead_letters: { count: number; oldest_parked_at: string | null };
  started_requests: {
    open: number;
    oldest_started_at: string | null;
    oldest_age_seconds: number | null;
    interrupted_after_seconds: number;
  };
}

/** One row of GET /admin/exports: the fields this page shows. */
export interface LedgerExport {
  hour: string;
  status: string;
  manifest: { rows: number; total_tokens: number; cost_micro_usd: number; parts: unknown[] } | null;
  exported_at: string | null;
  pruned_rows: number;
  pruned_at: string | null;
}

function HealthTable(props: { health: Health }) {
  const h = props.health;
  const rows: [string, string][] = [
    ["Status", h.status],
    ["Last recorded at", h.ledger.last_recorded_at ?? "none in the last 5 minutes"],
    ["Lag p50 (ms)", String(h.ledger.lag_ms.p50 ?? "n/a")],
    ["Lag max (ms)", String(h.ledger.lag_ms.max ?? "n/a")],
    ["Rows in the lag window", String(h.ledger.lag_ms.rows)],
    ["Dead letters", String(h.dead_letters.count)],
    ["Oldest dead letter", h.dead_letters.oldest_parked_at ?? "none"],
    ["Open started requests", String(h.started_requests.open)],
    ["Oldest open request age (s)", String(h.started_requests.oldest_age_seconds ?? "n/a")],
    ["Interrupted after (s)", String(h.started_requests.interrupted_after_seconds)],
  ];
  return (
    <TableScroll label="Health">
      <table id="health">
        <caption>GET /admin/health</caption>
        <tbody>
          {rows.map(([name, value]) => (
            <tr>
              <th scope="row">{name}</th>
              <td>{value}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableScroll>
  );
}

function ExportsTable(props: { exports: LedgerExport[] }) {
  return (
    <TableScroll label="Exports">
      <table id="exports">
        <caption>Exports to R2, newest hour first (GET /admin/exports)</caption>
        <thead>
          <tr>
            <th scope="col">Hour (UTC)</th>
            <th scope="col">Status</th>
            <th scope="col">Records</th>
            <th scope="col">Total tokens</th>
            <th scope="col">Cost</th>
            <th scope="col">Parts</th>
            <th scope="col">Exported at</th>
            <th scope="col">Raw rows pruned</th>
          </tr>
        </thead>
        <tbody>
          {props.exports.length === 0 ? (
            <tr>
              <td colspan={8}>No hour exported yet: the cron (every 5 minutes) exports each UTC hour once it has closed and settled.</td>
            </tr>
          ) : (
            props.exports.map((e) => (
              <tr>
                <th scope="row">{e.hour}</th>
                <td data-col="status">{e.status}</td>
                <td data-col="rows">{String(e.manifest?.rows ?? "")}</td>
                <td data-col="total_tokens">{String(e.manifest?.total_tokens ?? "")}</td>
                <td data-col="cost">{e.manifest ? formatUsd(e.manifest.cost_micro_usd) : ""}</td>
                <td data-col="parts">{String(e.manifest?.parts.length ?? "")}</td>
                <td data-col="exported_at">{e.exported_at ?? "not yet"}</td>
                <td data-col="pruned_rows">{String(e.pruned_rows)}</td>
              </tr>
            ))
          )}
        </tbody>
      </table>
    </TableScroll>
  );
}

export function HealthPage(props: { operator: Operator; csrf: string; health: Health; exports: LedgerExport[] | null }) {
  return (
    <Layout title="Ledger health" operator={props.operator} csrf={props.csrf}>
      <HealthTable health={props.health} />
      {props.exports === null ? <p>Exports are not available.</p> : <ExportsTable exports={props.exports} />}
    </Layout>
  );
}
