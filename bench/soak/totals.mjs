// Totals an operator bills from, against the ledger's own rows: the usage CSV export
// (GET /admin/usage, which reads the hourly roll-up) and the roll-up table itself.

/** The CSV export's totals per (key, model) against the sums of the ledger's rows. */
export function compareCsv(csv, direct) {
  const [header, ...lines] = csv.trim().split(/\r\n/);
  const columns = header.split(",");
  const sums = new Map();
  for (const r of direct) {
    const key = `${r.key_id}\u0000${r.model ?? ""}`;
    const s = sums.get(key) ?? { requests: 0, prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 };
    s.requests++;
    s.prompt_tokens += r.prompt_tokens;
    s.completion_tokens += r.completion_tokens;
    s.total_tokens += r.total_tokens;
    sums.set(key, s);
  }
  const mismatches = [];
  let rowsSeen = 0;
  for (const line of lines) {
    // Plain fields only here (ids and model names without commas or quotes).
    const cells = Object.fromEntries(line.split(",").map((v, i) => [columns[i], v]));
    rowsSeen++;
    const s = sums.get(`${cells.key_id}\u0000${cells.model ?? ""}`);
    sums.delete(`${cells.key_id}\u0000${cells.model ?? ""}`);
    for (const c of ["requests", "prompt_tokens", "completion_tokens", "total_tokens"]) {
      if (Number(cells[c]) !== (s?.[c] ?? 0))
        mismatches.push({ key_id: cells.key_id, model: cells.model, column: c, csv: Number(cells[c]), ledger: s?.[c] ?? 0 });
    }
  }
  for (const [key] of sums)
    mismatches.push({ group: key.replace("\u0000", " / "), column: "requests", csv: 0, ledger: "missing from the CSV" });
  return { csvRows: rowsSeen, mismatches };
}

/** The hourly roll-up's totals by outcome against the rows' (null when the schema has no roll-up). */
export function compareRollup(rollup, direct) {
  if (rollup === null) return null;
  const sums = new Map();
  for (const r of direct) {
    const s = sums.get(r.outcome) ?? { requests: 0, prompt_tokens: 0, completion_tokens: 0 };
    s.requests++;
    s.prompt_tokens += r.prompt_tokens;
    s.completion_tokens += r.completion_tokens;
    sums.set(r.outcome, s);
  }
  const mismatches = [];
  for (const outcome of new Set([...sums.keys(), ...rollup.map((r) => r.outcome)])) {
    const row = rollup.find((r) => r.outcome === outcome);
    for (const c of ["requests", "prompt_tokens", "completion_tokens"]) {
      const want = sums.get(outcome)?.[c] ?? 0;
      if ((row?.[c] ?? 0) !== want) mismatches.push({ outcome, column: c, rollup: row?.[c] ?? 0, rows: want });
    }
  }
  return { mismatches };
}
