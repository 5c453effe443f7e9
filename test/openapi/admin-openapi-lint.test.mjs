// Plain Node (vitest.openapi.config.ts), in JavaScript: the root tsc knows no `node:` modules.
import { execFile } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { admin } from "../../src/admin";

const ROOT = path.join(import.meta.dirname, "../..");
const OUT = path.join(ROOT, ".openapi/admin.json");
const TOKEN = "openapi-lint-token";

/** `redocly lint` on a file: its exit code and everything it printed. */
function redoclyLint(file) {
  const cli = path.join(ROOT, "node_modules/@redocly/cli/bin/cli.js");
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [cli, "lint", file, "--config", path.join(ROOT, "redocly.yaml"), "--format", "stylish"],
      { cwd: ROOT, env: { ...process.env, REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true" } },
      (error, stdout, stderr) => resolve({ code: error ? (error.code ?? 1) : 0, output: `${stdout}\n${stderr}` }),
    );
  });
}

describe("the admin OpenAPI document", () => {
  it("gives every operation an operationId and passes redocly lint with no warnings", async () => {
    const res = await admin.request("/openapi.json", { headers: { authorization: `Bearer ${TOKEN}` } }, { ADMIN_TOKEN: TOKEN });
    expect(res.status).toBe(200);
    const doc = await res.json();
    const missing = Object.entries(doc.paths).flatMap(([route, methods]) =>
      Object.entries(methods)
        .filter(([, operation]) => !operation.operationId)
        .map(([method]) => `${method.toUpperCase()} ${route}`),
    );
    expect(missing).toEqual([]);

    await mkdir(path.dirname(OUT), { recursive: true });
    await writeFile(OUT, `${JSON.stringify(doc, null, 2)}\n`);
    const { code, output } = await redoclyLint(OUT);
    expect(output, output).not.toMatch(/\b(warning|error)\b/i);
    expect(code, output).toBe(0);
  });
});
