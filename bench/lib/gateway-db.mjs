// The gateway's local D1: schema from migrations/, one team and one key seeded.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** src/auth/key-format.ts, compiled for Node (it has no imports, by design). */
async function loadKeyFormat() {
  const out = await esbuild.build({
    entryPoints: [path.join(ROOT, "src/auth/key-format.ts")],
    bundle: true,
    write: false,
    format: "esm",
    platform: "node",
    logLevel: "error",
  });
  return import(`data:text/javascript;base64,${Buffer.from(out.outputFiles[0].text).toString("base64")}`);
}

/** SQL statements of every migration, in order (comments dropped, split on `;`). */
function migrationStatements() {
  const dir = path.join(ROOT, "migrations");
  return readdirSync(dir)
    .filter((f) => f.endsWith(".sql"))
    .sort()
    .flatMap((f) =>
      readFileSync(path.join(dir, f), "utf8")
        .split("\n")
        .map((line) => line.replace(/--.*$/, ""))
        .join("\n")
        .split(";")
        .map((s) => s.trim())
        .filter(Boolean),
    );
}

/** Applies the migrations and seeds a team and a key; returns the plaintext key. */
export async function prepareGatewayDb(db) {
  for (const sql of migrationStatements()) await db.prepare(sql).run();
  const { generateKey, hashKey, displayPrefix } = await loadKeyFormat();
  const key = generateKey();
  const now = new Date().toISOString();
  await db.batch([
    db.prepare("INSERT INTO teams (id, name, created_at, updated_at) VALUES (?, ?, ?, ?)").bind("team_bench", "bench", now, now),
    db
      .prepare("INSERT INTO api_keys (id, team_id, name, key_hash, prefix, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)")
      .bind("key_bench", "team_bench", "bench", await hashKey(key), displayPrefix(key), now, now),
  ]);
  return key;
}
