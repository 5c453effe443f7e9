// The gateway as built (bench/lib/build.mjs), in workerd through Miniflare's API, its D1
// persisted under a directory of the bench's own, for bench/ledger.mjs.
import { applyMigrations } from "./gateway-db.mjs";
import { driverWorker } from "./ledger-driver.mjs";
import { BENCH_WORKER, startMiniflare } from "./processes.mjs";

export const ADMIN_TOKEN = "bench-ledger-admin-token";
export const USAGE_QUEUE = "tensoras-usage";

/** The driver's binding of a gateway worker's database. */
export function driverBinding(workerName) {
  return `DB_${workerName.replace(/[^A-Za-z0-9]/g, "_").toUpperCase()}`;
}

/**
 * One Miniflare with one gateway worker per entry of `workers` ({name, database}), each on its
 * own D1 database, all persisted under `persistDir`, and the timing driver (bench/lib/ledger-driver.mjs)
 * on the first one's database. The first worker answers dispatchFetch.
 */
export function startLedgerGateway({ script, persistDir, workers, vars = {} }) {
  const gateways = workers.map(({ name, database }) => ({
    name,
    modules: true,
    compatibilityDate: BENCH_WORKER.compatibilityDate,
    script,
    bindings: {
      // Nothing is forwarded in this bench: the upstream is never called.
      TENSORAS_BASE_URL: "http://127.0.0.1:9",
      TENSORAS_API_KEY: "unused",
      ADMIN_TOKEN,
      LEDGER_RAW_SINK: "d1",
      ...vars,
    },
    d1Databases: { DB: database },
    r2Buckets: { LEDGER_BUCKET: `${database}-exports` },
    durableObjects: { TEAM_LIMITS: { className: "TeamLimits", useSQLite: true } },
    queueProducers: { USAGE_QUEUE: { queueName: USAGE_QUEUE } },
  }));
  const extraDatabases = Object.fromEntries(workers.map((w) => [driverBinding(w.name), w.database]));
  const driver = driverWorker({ database: workers[0].database, extraDatabases, gateway: workers[0].name, adminToken: ADMIN_TOKEN });
  // The export logs a line per cron run: counted out of sight; the first errors are shown.
  let errors = 0;
  const handleStructuredLogs = ({ level, message }) => {
    if ((level === "error" || level === "warn") && errors++ < 5) console.error(`workerd ${level}: ${message.slice(0, 300)}`);
  };
  return startMiniflare({ cf: false, handleStructuredLogs, resourcePersistencePath: persistDir, workers: [...gateways, driver] });
}

/** Applies every migration and seeds the tenants the rows refer to (teams and keys, with names). */
export async function prepareLedgerDb(db, world) {
  await applyMigrations(db);
  const at = "2026-06-01T00:00:00.000Z";
  const statements = [];
  for (const team of world.teams) {
    statements.push(
      db.prepare("INSERT INTO teams (id, name, created_at, updated_at) VALUES (?, ?, ?, ?)").bind(team.id, team.name, at, at),
    );
    for (const key of team.keys) {
      statements.push(
        db
          .prepare("INSERT INTO api_keys (id, team_id, name, key_hash, prefix, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)")
          .bind(key.id, team.id, key.name, `bench-hash-${key.id}`, `tgw_${key.id.slice(-6)}`, at, at),
      );
    }
  }
  await db.batch(statements);
}
