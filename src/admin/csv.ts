/**
 * CSV as the admin API writes it: RFC 4180, made safe to open in a spreadsheet.
 * Every CSV the Worker answers goes through csvDocument, so this is the one place
 * where client-supplied text (a model name, stored as the caller sent it) is defused.
 */

/**
 * A cell a spreadsheet would read as a formula (or as the start of one, after it
 * strips a leading tab or CR). OWASP "CSV Injection": prefix such a cell with `'`,
 * which makes Excel, LibreOffice and Google Sheets show it as text.
 */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * One cell. Text that could start a formula gets a leading `'`; then RFC 4180
 * quoting (a field holding a comma, quote or line break is quoted, its quotes
 * doubled). Numbers are written as numbers: a total is never text from a client.
 */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "number" || typeof value === "bigint") return String(value);
  const raw = String(value);
  const text = FORMULA_START.test(raw) ? `'${raw}` : raw;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** A header row and one line per row, CRLF-terminated as RFC 4180 asks. */
export function csvDocument<Row>(columns: readonly (keyof Row & string)[], rows: readonly Row[]): string {
  const lines = [columns.map(csvCell).join(","), ...rows.map((row) => columns.map((column) => csvCell(row[column])).join(","))];
  return `${lines.join("\r\n")}\r\n`;
}
