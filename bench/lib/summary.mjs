// The bench's figures per case: each variant's spread over rounds, and the ratios
// between variants taken within each round (drift hits both sides of a ratio alike).
import { spread } from "./stats.mjs";

export const METRICS = [
  "requestsPerSecond",
  "p50LatencyMs",
  "p99LatencyMs",
  "p50TtfbMs",
  "cpuMsPerRequest",
  "statCpuMsPerRequest",
  "mbPerSecond",
  "peakRssMb",
  "rssGrowthMb",
  "upstreamMbSentByAbort",
  "upstreamMbSentTotal",
  "upstreamClosedAfterAbortMs",
  "clientMbRead",
];

/** `variant`'s cost over `base`'s in the same round: ratio and difference of CPU per request and of p50 latency. */
function paired(perRound, variant, base) {
  return {
    cpu: perRound((v) => v[variant].cpuMsPerRequest / v[base].cpuMsPerRequest),
    addedCpuMs: perRound((v) => v[variant].cpuMsPerRequest - v[base].cpuMsPerRequest),
    p50: perRound((v) => v[variant].p50LatencyMs / v[base].p50LatencyMs),
    addedP50Ms: perRound((v) => v[variant].p50LatencyMs - v[base].p50LatencyMs),
  };
}

/** `cases`: the run's case definitions; `variantsOf(case)`: the variants measured in it. */
export function summarize(samples, { cases, variantsOf }) {
  const out = {};
  for (const caseName of new Set(samples.map((s) => s.case))) {
    const rows = samples.filter((s) => s.case === caseName);
    const rounds = [...new Set(rows.map((s) => s.round))];
    // fn gets the round's samples by variant name: v.gateway, v.bare, v["noop-tap"], …
    const perRound = (fn) =>
      spread(rounds.map((round) => fn(Object.fromEntries(rows.filter((s) => s.round === round).map((s) => [s.variant, s])))));
    const measured = (variant) => rows.some((s) => s.variant === variant);
    out[caseName] = { title: cases[caseName].title, variants: {}, ratios: {} };
    for (const variant of variantsOf(cases[caseName])) {
      const mine = rows.filter((s) => s.variant === variant);
      const figures = {};
      for (const metric of METRICS)
        if (mine.some((s) => typeof s[metric] === "number")) figures[metric] = spread(mine.map((s) => s[metric]));
      figures.failed = mine.reduce((sum, s) => sum + s.failed, 0);
      figures.upstreamOutcomes = mine.map((s) => s.upstreamOutcome).filter(Boolean);
      out[caseName].variants[variant] = figures;
    }
    const cpuOver = (variant, base) => perRound((v) => v[variant].cpuMsPerRequest / v[base].cpuMsPerRequest);
    const started = measured("gw-no-started") && paired(perRound, "gateway", "gw-no-started");
    const budget = measured("gw-budget") && paired(perRound, "gw-budget", "gateway");
    out[caseName].ratios = {
      cpuGatewayOverBare: cpuOver("gateway", "bare"),
      cpuGatewayOverNoop: cpuOver("gateway", "noop-tap"),
      cpuNoopOverBare: cpuOver("noop-tap", "bare"),
      cpuNoLedgerOverBare: cpuOver("gw-no-ledger", "bare"),
      cpuNoLedgerOverNoop: cpuOver("gw-no-ledger", "noop-tap"),
      // What the started note costs: the gateway against itself without it, in the same round.
      ...(started && {
        cpuNoStartedOverBare: cpuOver("gw-no-started", "bare"),
        cpuNoStartedOverNoop: cpuOver("gw-no-started", "noop-tap"),
        cpuGatewayOverNoStarted: started.cpu,
        addedCpuMsByStarted: started.addedCpuMs,
        p50LatencyGatewayOverNoStarted: started.p50,
        addedP50LatencyByStartedMs: started.addedP50Ms,
      }),
      // What the reservation costs: the same gateway with a budgeted key against a plain one, in the same round.
      ...(budget && {
        cpuBudgetOverBare: cpuOver("gw-budget", "bare"),
        cpuBudgetOverNoop: cpuOver("gw-budget", "noop-tap"),
        cpuBudgetOverGateway: budget.cpu,
        addedCpuMsByBudget: budget.addedCpuMs,
        p50LatencyBudgetOverGateway: budget.p50,
        addedP50LatencyByBudgetMs: budget.addedP50Ms,
      }),
      addedP50LatencyMs: perRound((v) => v.gateway.p50LatencyMs - v.bare.p50LatencyMs),
      addedP50TtfbMs: perRound((v) => v.gateway.p50TtfbMs - v.bare.p50TtfbMs),
      ...(rows[0].mbPerSecond !== undefined && { throughputGatewayOverBare: perRound((v) => v.gateway.mbPerSecond / v.bare.mbPerSecond) }),
      ...(rows[0].upstreamMbSentByAbort !== undefined && {
        extraUpstreamMbByAbort: perRound((v) => v.gateway.upstreamMbSentByAbort - v.bare.upstreamMbSentByAbort),
        extraRssGrowthMb: perRound((v) => v.gateway.rssGrowthMb - v.bare.rssGrowthMb),
      }),
    };
  }
  return out;
}
