// Everything a soak produced besides what the load generator scanned itself, through the
// secret scan: admin responses, the audit log, dead letters, the CSV, the ledger's rows,
// and what reached upstream (every header but the one that must hold the upstream key).

/** Returns the upstream requests whose Authorization was not the gateway's own Tensoras key. */
export function scanOutputs({ scan, admin, outputs, deadLetters, mockRecords, upstreamKey }) {
  for (const { where, text } of admin.responses) scan.scan("admin API responses", text, where);
  for (const row of outputs.auditRows) scan.scan("audit log (D1 rows)", JSON.stringify(row), "audit_log");
  for (const row of deadLetters) scan.scan("dead letters (usage_dead_letters)", JSON.stringify(row), "usage_dead_letters");
  scan.scan("usage CSV (group_by=key,model)", outputs.csv, "csv");
  for (const row of outputs.direct) scan.scan("ledger rows (usage_events)", JSON.stringify(row), "usage_events");
  const wrongAuth = [];
  for (const m of mockRecords) {
    const { authorization, ...headers } = m.headers ?? {};
    if (authorization !== `Bearer ${upstreamKey}`) wrongAuth.push(m.mockId);
    scan.scan("upstream requests (mock log, less its Authorization)", JSON.stringify({ headers, body: m.body }), "mock");
  }
  return wrongAuth;
}
