/**
 * Text output for the admin CLI: aligned tables, key/value blocks and the
 * one-time secret box. No dependencies, no colour unless stdout is a terminal.
 */

/** Control characters (a newline or an escape sequence in a team name) are shown escaped, never sent to the terminal. */
export function clean(value) {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching them is the point
  return String(value).replace(/[\u0000-\u001f\u007f-\u009f]/g, (ch) => JSON.stringify(ch).slice(1, -1));
}

/** A cell: null and undefined are "-", objects compact JSON. */
export function cell(value) {
  if (value === null || value === undefined || value === "") return "-";
  if (typeof value === "object") return clean(JSON.stringify(value));
  return clean(value);
}

/**
 * A CSV cell a spreadsheet would run as a formula, or as the start of one once it strips
 * a leading tab or CR (OWASP "CSV Injection"). The Worker's src/admin/csv.ts has the same rule.
 */
const FORMULA_START = /^[=+\-@\t\r]/;

/** One CSV cell: `'` before a formula start (spreadsheets then show text), then RFC 4180 quoting. */
export function csvCell(text) {
  const safe = FORMULA_START.test(text) ? `'${text}` : text;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

/**
 * The CLI's CSV output: an RFC 4180 document (the API's) read and written again with
 * every cell through csvCell. The API already defuses formula cells, and a defused cell
 * starts with `'`, so its CSV comes out byte for byte; an older gateway's does not, and
 * is defused here. Every cell is text to this reader, so a `-5` is defused too (the API's
 * totals are never negative). Records end in CRLF (or LF); quoted fields may hold both.
 */
export function safeCsv(text) {
  const records = [];
  let record = [];
  let field = "";
  let i = 0;
  const endField = () => {
    record.push(field);
    field = "";
  };
  while (i < text.length) {
    const ch = text[i];
    if (ch === '"' && field === "") {
      // A quoted field runs to the next quote that is not doubled.
      i++;
      while (i < text.length && !(text[i] === '"' && text[i + 1] !== '"')) {
        field += text[i];
        i += text[i] === '"' ? 2 : 1;
      }
      i++;
    } else if (ch === ",") {
      endField();
      i++;
    } else if (ch === "\n" || (ch === "\r" && text[i + 1] === "\n")) {
      endField();
      records.push(record);
      record = [];
      i += ch === "\r" ? 2 : 1;
    } else {
      field += ch;
      i++;
    }
  }
  if (field !== "" || record.length > 0) {
    endField();
    records.push(record);
  }
  return records.map((cells) => `${cells.map(csvCell).join(",")}\r\n`).join("");
}

/** 2026-11-24T12:00:00.123Z → 2026-11-24T12:00:00Z (tables only; --json has the exact value). */
export function shortTime(iso) {
  return typeof iso === "string" ? iso.replace(/\.\d+Z$/, "Z") : iso;
}

export function count(n) {
  return typeof n === "number" ? n.toLocaleString("en-US") : cell(n);
}

/** "in 1h 5m", "3d ago": a reading aid next to an exact timestamp. */
export function relative(iso, now = Date.now()) {
  const ms = Date.parse(iso) - now;
  if (Number.isNaN(ms)) return "";
  let s = Math.round(Math.abs(ms) / 1000);
  const parts = [];
  for (const [unit, size] of [
    ["d", 86400],
    ["h", 3600],
    ["m", 60],
  ]) {
    if (s >= size) {
      parts.push(`${Math.floor(s / size)}${unit}`);
      s %= size;
    }
  }
  if (parts.length === 0 || (parts.length === 1 && s > 0 && Math.abs(ms) < 3_600_000)) parts.push(`${s}s`);
  const text = parts.slice(0, 2).join(" ");
  return ms >= 0 ? `in ${text}` : `${text} ago`;
}

/**
 * Plain aligned columns, two spaces apart; numbers right-aligned.
 * @param {{ header: string, value: (row: any) => unknown, right?: boolean }[]} columns
 * @param {any[]} rows
 * @param {any[]} [footer] extra rows (already cells) under a rule, e.g. totals
 */
export function table(columns, rows, footer = []) {
  const body = rows.map((row) => columns.map((column) => cell(column.value(row))));
  const all = [columns.map((c) => c.header), ...body, ...footer];
  const widths = columns.map((_, i) => Math.max(...all.map((cells) => [...cells[i]].length)));
  const line = (cells) =>
    cells
      .map((text, i) => {
        const pad = " ".repeat(widths[i] - [...text].length);
        return columns[i].right ? pad + text : text + pad;
      })
      .join("  ")
      .trimEnd();
  const lines = [line(all[0]), ...body.map(line)];
  if (footer.length > 0) {
    lines.push(line(widths.map((w) => "-".repeat(w))));
    lines.push(...footer.map(line));
  }
  return `${lines.join("\n")}\n`;
}

/** `name  value` lines for one object. @param {[string, unknown][]} pairs */
export function details(pairs) {
  const width = Math.max(...pairs.map(([name]) => name.length));
  return `${pairs.map(([name, value]) => `${name.padEnd(width)}  ${cell(value)}`.trimEnd()).join("\n")}\n`;
}

/**
 * The secret, on a line of its own (double-click selects it), between two rules,
 * with the warning that it will not be shown again.
 */
export function secretBox(secret, { color = false, what = "key" } = {}) {
  const bold = (s) => (color ? `\u001b[1m${s}\u001b[22m` : s);
  const yellow = (s) => (color ? `\u001b[1;33m${s}\u001b[0m` : s);
  const warning = `Copy this ${what} now: it will NOT be shown again (the gateway keeps only its hash).`;
  const rule = "=".repeat(Math.max(secret.length + 4, warning.length));
  return ["", rule, `  ${bold(secret)}`, rule, yellow(warning), ""].join("\n");
}

/**
 * Integer micro-USD as USD with 6 decimals (1234567 → "1.234567"), exactly: BigInt, no
 * floating point. null (a record whose model had no price) stays "-".
 */
export function microUsd(micro) {
  if (typeof micro !== "number" || !Number.isInteger(micro)) return cell(micro);
  const value = BigInt(micro);
  const sign = value < 0n ? "-" : "";
  const abs = value < 0n ? -value : value;
  return `${sign}${abs / 1_000_000n}.${String(abs % 1_000_000n).padStart(6, "0")}`;
}
