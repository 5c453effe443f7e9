// The ledger against the mock upstream's own log, by the gateway's request id: what is
// missing, counted twice, recorded with the wrong outcome, and billed against what
// upstream generated.

const PROBLEM_SAMPLES = 25;

/** What upstream had sent when it stopped: the prompt, and completion tokens streamed. */
export function upstreamTokens(m) {
  const usage = m.usage;
  if (!usage || m.status !== 200) return { prompt: 0, completion: 0 };
  const prompt = usage.prompt_tokens ?? 0;
  const all = usage.completion_tokens ?? 0;
  if (m.outcome === "complete") return { prompt, completion: all };
  // Half a JSON body carries no usable token; a stream's events are its tokens, after
  // chat's first event (the role) and until the final chunk.
  if (m.body?.stream !== true) return { prompt, completion: 0 };
  const role = m.path === "/v1/chat/completions" ? 1 : 0;
  return { prompt, completion: Math.max(0, Math.min(m.events - role, all)) };
}

/** Events in a whole streamed answer from the mock: chat's role chunk, one per token, the final chunk, an OpenAI-style usage chunk. */
function answerEvents(m) {
  const chat = m.path === "/v1/chat/completions" ? 1 : 0;
  const usageOnly = m.headers?.["x-mock-usage-style"] === "openai" ? 1 : 0;
  return chat + (m.usage?.completion_tokens ?? 0) + 1 + usageOnly;
}

/** Did the request overlap a kill: in flight at it, or ended so shortly before that its record may not have been durable? */
function nearKill(client, kills) {
  if (!client) return false;
  if (client.inFlightAtKill) return true;
  return kills.some((k) => client.startedAt <= k.at && (client.endedAt ?? Number.POSITIVE_INFINITY) >= k.at - k.graceMs);
}

/**
 * The outcomes the ledger may hold for a request, from what the mock did (`m`) and what
 * the client did (`client`, the load generator's view), with a label for the table.
 */
export function expectation(m, client, kills) {
  const clientLeft = !client || client.aborted || client.error !== null;
  let label;
  let allowed;
  if (m.status >= 400) [label, allowed] = ["upstream answered 5xx", ["upstream_error"]];
  // Dropped after the whole answer and its usage, before [DONE]. Issue 12 (item 4) calls a
  // stream whose usage came complete; the brief calls a drop upstream_error; the gateway says
  // either (a clean end vs a reset). Both are accepted: the tokens must be upstream's (below).
  else if (m.outcome === "dropped" && m.body?.stream === true && m.events >= answerEvents(m))
    [label, allowed] = [
      "upstream sent it all, then dropped before [DONE]",
      ["completed", "upstream_error", ...(clientLeft ? ["client_aborted"] : [])],
    ];
  else if (m.outcome === "dropped") [label, allowed] = ["upstream dropped the connection", ["upstream_error"]];
  else if (m.outcome === "error-event") [label, allowed] = ["upstream sent an error event", ["upstream_error"]];
  else if (m.outcome === "complete" && !clientLeft) [label, allowed] = ["complete, client read it all", ["completed"]];
  else if (m.outcome === "complete" && client?.sawDone) [label, allowed] = ["complete, client left after [DONE]", ["completed"]];
  // Upstream finished: the gateway may have read the end (usage, [DONE]) before or after the client left.
  else if (m.outcome === "complete") [label, allowed] = ["complete upstream, client left before the end", ["client_aborted", "completed"]];
  else if (m.outcome === "client-closed" && clientLeft) [label, allowed] = ["client left, upstream stopped", ["client_aborted"]];
  // The connection to upstream broke before any answer (the gateway's fetch failed).
  else if (m.outcome === "client-closed" && m.status === 0)
    [label, allowed] = ["upstream connection failed before an answer", ["upstream_unreachable"]];
  else [label, allowed] = [`upstream ${m.outcome}, client ${clientLeft ? "left" : "read on"}`, []];
  // A failing upstream and a leaving client race: whichever the gateway saw first is its outcome.
  if (clientLeft && allowed[0] === "upstream_error") allowed = [...allowed, "client_aborted"];
  const usageCame = label === "upstream sent it all, then dropped before [DONE]";
  if (nearKill(client, kills)) [label, allowed] = ["in flight at the kill", [...allowed, "interrupted"]];
  return { label, allowed, clientLeft, usageCame: usageCame && !allowed.includes("interrupted") };
}

function tokensEqual(row, m) {
  const u = m.usage ?? {};
  return (
    row.prompt_tokens === (u.prompt_tokens ?? 0) &&
    row.completion_tokens === (u.completion_tokens ?? 0) &&
    row.total_tokens === (u.total_tokens ?? 0) &&
    row.reasoning_tokens === (u.completion_tokens_details?.reasoning_tokens ?? 0) &&
    row.usage_source === "upstream"
  );
}

const slim = (m) => m && { mockId: m.mockId, path: m.path, status: m.status, outcome: m.outcome, events: m.events, usage: m.usage };
const slimRow = (r) =>
  r && {
    outcome: r.outcome,
    status: r.status,
    prompt_tokens: r.prompt_tokens,
    completion_tokens: r.completion_tokens,
    usage_source: r.usage_source,
    duration_ms: r.duration_ms,
  };
const slimClient = (c) =>
  c && { status: c.status, aborted: c.aborted, error: c.error, events: c.events, sawDone: c.sawDone, inFlightAtKill: c.inFlightAtKill };

/**
 * `clients` by plan index (what the load generator saw); `mock` every upstream request; `listed` the ledger
 * as the admin API pages it; `direct` as D1 holds it; `kills` [{at, graceMs}].
 */
export function compareLedger({ clients, mock, listed, direct, kills, entered }) {
  const problems = { missing: [], duplicate: [], wrongOutcome: [], tokens: [], unexpectedRow: [], listing: [] };
  const push = (kind, entry) => problems[kind].push(entry);

  const rows = new Map();
  for (const row of listed) {
    if (rows.has(row.request_id)) push("duplicate", { request_id: row.request_id, where: "GET /admin/usage/events lists it twice" });
    rows.set(row.request_id, row);
  }
  const directIds = new Set(direct.map((r) => r.request_id));
  for (const id of directIds) if (!rows.has(id)) push("listing", { request_id: id, where: "in D1, not in GET /admin/usage/events" });
  for (const id of rows.keys()) if (!directIds.has(id)) push("listing", { request_id: id, where: "listed, not in D1" });

  const upstreamIds = new Map();
  const categories = new Map();
  const byOutcome = {};
  const aborted = { records: 0, completionBilled: 0, completionSent: 0, promptBilled: 0, promptSent: 0, underbilled: [], byCase: {} };
  for (const m of mock) {
    const index = Number(m.headers?.["x-soak-index"]);
    const client = clients[index];
    if (upstreamIds.has(m.id))
      push("duplicate", { request_id: m.id, where: "forwarded upstream twice", mock: [slim(upstreamIds.get(m.id)), slim(m)] });
    upstreamIds.set(m.id, m);
    const row = rows.get(m.id);
    const want = expectation(m, client, kills);
    const sent = upstreamTokens(m);
    const detail = () => ({
      request_id: m.id,
      index,
      expected: want.allowed,
      label: want.label,
      mock: slim(m),
      ledger: slimRow(row),
      client: slimClient(client),
    });
    if (!row) {
      push("missing", detail());
      continue;
    }
    const cat = categories.get(want.label) ?? { label: want.label, requests: 0, outcomes: {} };
    cat.requests++;
    cat.outcomes[row.outcome] = (cat.outcomes[row.outcome] ?? 0) + 1;
    categories.set(want.label, cat);
    if (!want.allowed.includes(row.outcome)) push("wrongOutcome", detail());
    // Completed, or dropped after its usage came: billed exactly what upstream reported.
    if ((row.outcome === "completed" || want.usageCame) && !tokensEqual(row, m)) push("tokens", detail());
    byOutcome[row.outcome] ??= { records: 0, promptBilled: 0, completionBilled: 0, promptSent: 0, completionSent: 0, estimated: 0 };
    const o = byOutcome[row.outcome];
    o.records++;
    o.promptBilled += row.prompt_tokens;
    o.completionBilled += row.completion_tokens;
    o.promptSent += sent.prompt;
    o.completionSent += sent.completion;
    if (row.usage_source === "estimated") o.estimated++;
    if (row.outcome === "client_aborted") {
      aborted.byCase[want.label] ??= { records: 0, completionBilled: 0, completionSent: 0, usageFromUpstream: 0 };
      const byCase = aborted.byCase[want.label];
      byCase.records++;
      byCase.completionBilled += row.completion_tokens;
      byCase.completionSent += sent.completion;
      if (row.usage_source === "upstream") byCase.usageFromUpstream++;
      if (row.completion_tokens < sent.completion && aborted.underbilled.length < PROBLEM_SAMPLES) aborted.underbilled.push(detail());
      aborted.records++;
      aborted.completionBilled += row.completion_tokens;
      aborted.completionSent += sent.completion;
      aborted.promptBilled += row.prompt_tokens;
      aborted.promptSent += sent.prompt;
    }
  }

  // Rows upstream never saw: only a request the gateway noted and then died before forwarding.
  let notForwarded = 0;
  let unreachable = 0;
  const byRequestId = new Map(clients.filter((c) => c?.requestId).map((c) => [c.requestId, c]));
  for (const row of rows.values()) {
    if (upstreamIds.has(row.request_id)) continue;
    const at = Date.parse(row.started_at);
    const inKill = kills.some((k) => at <= k.at && at >= k.at - 60_000);
    if (row.outcome === "interrupted" && inKill) notForwarded++;
    // The gateway's fetch failed before upstream read a byte (a pooled connection upstream had just closed): nothing to bill.
    else if (row.outcome === "upstream_unreachable" && row.total_tokens === 0) unreachable++;
    else {
      const client = byRequestId.get(row.request_id);
      push("unexpectedRow", {
        request_id: row.request_id,
        index: client?.i,
        ledger: slimRow(row),
        started_at: row.started_at,
        client: slimClient(client),
      });
    }
  }

  // Requests that reached the Worker but not upstream (the client left first): each should still have a row.
  const forwarded = new Set(mock.map((m) => Number(m.headers?.["x-soak-index"])));
  const neverForwarded = [...entered].filter((i) => !forwarded.has(i));
  const unforwardedRows = rows.size - [...rows.keys()].filter((id) => upstreamIds.has(id)).length;
  const notForwardedClients = neverForwarded.slice(0, PROBLEM_SAMPLES).map((i) => ({ index: i, client: slimClient(clients[i]) }));

  const counts = Object.fromEntries(Object.entries(problems).map(([k, v]) => [k, v.length]));
  for (const list of Object.values(problems)) list.splice(PROBLEM_SAMPLES);
  return {
    upstreamRequests: mock.length,
    ledgerRows: rows.size,
    notForwarded,
    unreachable,
    entered: entered.size,
    neverForwarded: { requests: neverForwarded.length, ledgerRows: unforwardedRows, samples: notForwardedClients },
    counts,
    problems,
    categories: [...categories.values()].sort((a, b) => b.requests - a.requests),
    byOutcome,
    aborted: { ...aborted, ratio: aborted.completionSent === 0 ? null : aborted.completionBilled / aborted.completionSent },
  };
}

/** Long streams: each must have been closed as `interrupted` mid-run and end `completed` (superseded). */
export function compareLongStreams({ plan, clients, direct, interruptedMidRun }) {
  const longs = plan.filter((p) => p.long);
  const rows = new Map(direct.map((r) => [r.request_id, r]));
  const streams = longs.map((p) => {
    const client = clients[p.i];
    const row = client?.requestId ? rows.get(client.requestId) : undefined;
    return {
      index: p.i,
      request_id: client?.requestId ?? null,
      interruptedMidRun: interruptedMidRun.has(client?.requestId),
      ledger: slimRow(row),
      client: slimClient(client),
    };
  });
  return {
    count: longs.length,
    streams,
    interruptedMidRun: streams.filter((s) => s.interruptedMidRun).length,
    notSuperseded: streams.filter((s) => s.ledger?.outcome !== "completed").length,
  };
}
