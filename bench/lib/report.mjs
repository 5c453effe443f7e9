// Machine facts and the results file.
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

function packageVersion(name) {
  try {
    return JSON.parse(readFileSync(path.join(ROOT, "node_modules", name, "package.json"), "utf8")).version;
  } catch {
    return null;
  }
}

/** The commit measured, and whether src/ had uncommitted changes (other work in progress). */
function gitState() {
  try {
    const commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: ROOT, encoding: "utf8" }).trim();
    const dirty = execFileSync("git", ["status", "--porcelain", "--", "src", "migrations"], { cwd: ROOT, encoding: "utf8" }).trim() !== "";
    return { gitCommit: commit, srcDirty: dirty };
  } catch {
    return { gitCommit: null, srcDirty: null };
  }
}

export function machine() {
  let workerd = null;
  try {
    workerd = execFileSync(path.join(ROOT, "node_modules/.bin/workerd"), ["--version"], { encoding: "utf8" }).trim();
  } catch {
    // reported as null
  }
  return {
    cores: os.cpus().length,
    cpu: os.cpus()[0]?.model ?? null,
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    platform: `${os.platform()} ${os.release()}`,
    node: process.version,
    workerd,
    workerdPackage: packageVersion("workerd"),
    miniflare: packageVersion("miniflare"),
    loadavg: os.loadavg().map((v) => Math.round(v * 100) / 100),
    ...gitState(),
  };
}

/** Writes bench/results/<prefix><timestamp>.json and returns its path relative to the cwd. */
export function writeResults(prefix, data) {
  const dir = path.join(ROOT, "bench/results");
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${prefix}${data.at.replace(/[:.]/g, "-")}.json`);
  writeFileSync(file, `${JSON.stringify(data, null, 2)}\n`);
  return path.relative(process.cwd(), file);
}
