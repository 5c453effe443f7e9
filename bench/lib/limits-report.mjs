// The figures of `npm run bench:limits` (bench/limits-ceiling.mjs): spreads over rounds,
// the budgeted key against the plain one within each round, and the printed tables.
import { fmt, fmtSpread, spread, table } from "./stats.mjs";

export const directLabel = (d) =>
  `${d.shape}, ${d.callers} caller${d.callers > 1 ? "s" : ""}, ${d.settle ? "reserve + settle" : "reserve only"}`;

const spreadOf = (samples, pick) => spread(samples.map(pick));

/** `directRuns` and `concurrency`: the run's configurations, in the order they are reported. */
export function summarizeLimits({ direct, windowRun, gateway }, { directRuns, concurrency, windowSeconds }) {
  const directRows = directRuns.map((d) => {
    const mine = direct.filter((s) => s.shape === d.shape && s.callers === d.callers && s.settle === d.settle);
    return {
      ...d,
      reservationsPerSecond: spreadOf(mine, (s) => s.reservationsPerSecond),
      p50LatencyMs: spreadOf(mine, (s) => s.latencyMs.p50),
      p99LatencyMs: spreadOf(mine, (s) => s.latencyMs.p99),
      cpuMsPerReservation: spreadOf(mine, (s) => s.cpuMsPerReservation),
      busiestThreadShare: spreadOf(mine, (s) => s.busiest.coreShare),
      busiestThreadWait: spreadOf(mine, (s) => s.busiest.waitShare),
    };
  });
  const perSecond = windowRun.perSecond.slice(0, -1); // the last second is partial
  const lastTen = perSecond.slice(-10);
  const gatewayRows = concurrency.flatMap((n) =>
    ["plain", "budget"].map((key) => {
      const mine = gateway.filter((s) => s.concurrency === n && s.key === key);
      return {
        concurrency: n,
        key,
        failed: mine.reduce((sum, s) => sum + s.failed, 0),
        requestsPerSecond: spreadOf(mine, (s) => s.requestsPerSecond),
        p50LatencyMs: spreadOf(mine, (s) => s.p50LatencyMs),
        p99LatencyMs: spreadOf(mine, (s) => s.p99LatencyMs),
        cpuMsPerRequest: spreadOf(mine, (s) => s.cpuMsPerRequest),
        busiestThreadShare: spreadOf(mine, (s) => s.busiest.coreShare),
        busiestThreadWait: spreadOf(mine, (s) => s.busiest.waitShare),
      };
    }),
  );
  const rounds = [...new Set(gateway.map((s) => s.round))];
  const budgetOverPlain = Object.fromEntries(
    concurrency.map((n) => {
      const pair = (round, key) => gateway.find((s) => s.round === round && s.concurrency === n && s.key === key);
      const within = (fn) => spread(rounds.map((round) => fn(pair(round, "budget"), pair(round, "plain"))));
      return [
        n,
        {
          requestsPerSecond: within((b, p) => b.requestsPerSecond / p.requestsPerSecond),
          cpuMsPerRequest: within((b, p) => b.cpuMsPerRequest / p.cpuMsPerRequest),
          addedCpuMs: within((b, p) => b.cpuMsPerRequest - p.cpuMsPerRequest),
          addedP50Ms: within((b, p) => b.p50LatencyMs - p.p50LatencyMs),
        },
      ];
    }),
  );
  return {
    direct: directRows,
    window: {
      seconds: windowSeconds,
      firstSecond: perSecond[0] ?? null,
      lastTenSecondsPerSecond: lastTen.length ? lastTen.reduce((a, b) => a + b, 0) / lastTen.length : null,
      admitted: windowRun.admitted,
      perSecond,
      latencyMs: windowRun.latencyMs,
    },
    gateway: gatewayRows,
    budgetOverPlain,
  };
}

const threadCell = (share, wait) => `${fmt(share.median * 100, 0)} (${fmt(wait.median * 100, 0)})`;

export function printLimitsReport(storageLabel, s, budget) {
  console.log(`\n== storage: ${storageLabel}`);
  console.log("\n(1) one team's object over RPC, from a driver in another isolate · median (min–max) over rounds");
  console.log(
    table(
      [
        "scopes, callers, calls",
        "reservations/s",
        "call p50 ms",
        "call p99 ms",
        "workerd CPU ms/reservation",
        "busiest thread % of a core (waiting)",
      ],
      s.direct.map((d) => [
        directLabel(d),
        fmtSpread(d.reservationsPerSecond, 0),
        fmtSpread(d.p50LatencyMs, 0),
        fmtSpread(d.p99LatencyMs, 0),
        fmtSpread(d.cpuMsPerReservation, 3),
        threadCell(d.busiestThreadShare, d.busiestThreadWait),
      ]),
    ),
  );
  console.log(
    `team budget + key requests_per_minute, 50 callers, reserve + settle, over ${s.window.seconds} s: ${s.window.firstSecond}/s in the first second, ${fmt(s.window.lastTenSecondsPerSecond, 0)}/s over the last 10 s, call p50 ${s.window.latencyMs.p50} ms (every admitted request stays in the key's 60 s window, which each reservation reads)`,
  );
  console.log("\n(2) through the gateway: small JSON requests of one team, budgeted key vs a key without a budget");
  console.log(
    table(
      ["concurrent", "key", "req/s (= reservations/s)", "p50 ms", "p99 ms", "workerd CPU ms/req", "busiest thread % of a core (waiting)"],
      s.gateway.map((g) => [
        String(g.concurrency),
        g.key + (g.failed ? ` (${g.failed} failed)` : ""),
        fmtSpread(g.requestsPerSecond, 0),
        fmtSpread(g.p50LatencyMs, 1),
        fmtSpread(g.p99LatencyMs, 1),
        fmtSpread(g.cpuMsPerRequest, 3),
        threadCell(g.busiestThreadShare, g.busiestThreadWait),
      ]),
    ),
  );
  for (const [n, r] of Object.entries(s.budgetOverPlain))
    console.log(
      `${n} concurrent, budget / plain in the same round: req/s ${fmtSpread(r.requestsPerSecond)}, CPU per request ${fmtSpread(r.cpuMsPerRequest)} (${fmtSpread(r.addedCpuMs, 3)} ms added), p50 ${fmtSpread(r.addedP50Ms, 1)} ms added`,
    );
  console.log(
    `budgeted team: ${budget.rows} ledger rows, spend ${budget.spentMicroUsd} µUSD (ledger ${budget.ledgerCostMicroUsd}), reserved ${budget.reservedMicroUsd} (expected: equal, and 0)`,
  );
}
