import { z } from "zod";
import { FIGURE_COLUMNS, type Figures } from "../db/exports";

/** Bumped when a line's fields change; it is in every key (usage/v1/…) and every manifest. */
export const EXPORT_SCHEMA_VERSION = 1;

const count = z.number().int().nonnegative();
const sha256 = z.string().regex(/^[0-9a-f]{64}$/);

const figures = {
  rows: count,
  prompt_tokens: count,
  completion_tokens: count,
  total_tokens: count,
  cached_tokens: count,
  reasoning_tokens: count,
  cost_micro_usd: count.describe("Sum of the priced rows' cost_micro_usd"),
  unpriced_rows: count.describe("Rows whose cost_micro_usd is null (not in the sum)"),
  estimated_rows: count.describe("Rows whose usage_source is estimated"),
} satisfies Record<keyof Figures, z.ZodType>;

export const ExportPartSchema = z.object({
  key: z.string(),
  ...figures,
  bytes: count.describe("Size of the gzip object"),
  sha256: sha256.describe("SHA-256 (hex) of the gzip object's bytes"),
  ndjson_bytes: count,
  ndjson_sha256: sha256.describe("SHA-256 (hex) of the NDJSON the object decompresses to"),
});

/**
 * What an hour's export holds, written beside its parts as manifest.json. Only a function
 * of the rows (no export time in it), so re-exporting unchanged rows writes the same bytes.
 */
export const ExportManifestSchema = z.object({
  schema_version: z.literal(EXPORT_SCHEMA_VERSION),
  hour: z.string().describe("UTC hour of started_at: 2026-12-01T13"),
  ...figures,
  recorded_through: z.number().int().nullable().describe("Greatest recorded_at (epoch ms) among the rows"),
  parts: z.array(ExportPartSchema),
});

export type ExportPart = z.infer<typeof ExportPartSchema>;
export type ExportManifest = z.infer<typeof ExportManifestSchema>;

export function zeroFigures(): Figures {
  return {
    rows: 0,
    prompt_tokens: 0,
    completion_tokens: 0,
    total_tokens: 0,
    cached_tokens: 0,
    reasoning_tokens: 0,
    cost_micro_usd: 0,
    unpriced_rows: 0,
    estimated_rows: 0,
  };
}

/** Just the figures of something that has them, in FIGURE_COLUMNS order. */
export function pickFigures(source: Figures): Figures {
  const figures = zeroFigures();
  for (const column of FIGURE_COLUMNS) figures[column] = source[column];
  return figures;
}

export function addFigures(into: Figures, more: Figures): Figures {
  for (const column of FIGURE_COLUMNS) into[column] += more[column];
  return into;
}

/** The manifest of these parts, fields in a fixed order. */
export function buildManifest(hour: string, parts: ExportPart[], recordedThrough: number | null): ExportManifest {
  const totals = parts.reduce((sum, part) => addFigures(sum, part), zeroFigures());
  return {
    schema_version: EXPORT_SCHEMA_VERSION,
    hour,
    ...totals,
    recorded_through: recordedThrough,
    parts: parts.map((part) => ({
      key: part.key,
      ...pickFigures(part),
      bytes: part.bytes,
      sha256: part.sha256,
      ndjson_bytes: part.ndjson_bytes,
      ndjson_sha256: part.ndjson_sha256,
    })),
  };
}

export function manifestText(manifest: ExportManifest): string {
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

export function parseManifest(text: string): ExportManifest {
  return ExportManifestSchema.parse(JSON.parse(text));
}
