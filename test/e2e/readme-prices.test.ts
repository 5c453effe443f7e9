/**
 * The README's "Prices" curl block, run as written against the running gateway (only the
 * gateway URL and, so as not to price a model other suites use, the model id swapped), so
 * that the admin API's documented example cannot rot.
 */
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { expect, it } from "vitest";
import { e2e } from "./helpers/env";

const README_URL = "http://127.0.0.1:8787";
const README_MODEL = "llama-3.3-70b";

async function readmePricesBlock(): Promise<string> {
  const readme = await readFile(new URL("../../README.md", import.meta.url), "utf8");
  const section = /^### Prices\n([\s\S]*?)(?=^##)/m.exec(readme)?.[1];
  if (!section) throw new Error('README.md has no "### Prices" section');
  const blocks = [...section.matchAll(/^```sh\n([\s\S]*?)^```/gm)].map((match) => match[1] as string);
  if (blocks.length !== 1) throw new Error(`expected one sh block in README's Prices, found ${blocks.length}`);
  return blocks[0] as string;
}

function sh(command: string, env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile("sh", ["-c", command], { encoding: "buffer", timeout: 30_000, env: { ...process.env, ...env } }, (error, stdout, stderr) => {
      const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout: text(stdout), stderr: text(stderr) });
    });
  });
}

interface Price {
  model: string;
  input_usd_per_mtok: string;
  cached_input_usd_per_mtok: string;
  effective_from: string;
}

it("runs the README's Prices example: two PUTs, the list in force now and the model's versions newest first", async () => {
  const block = await readmePricesBlock();
  expect(block.split(`GW=${README_URL}`), `the README's block sets GW=${README_URL}`).toHaveLength(2);
  const model = `readme-${crypto.randomUUID().slice(0, 8)}`;
  // One answer per line (curl prints bodies back to back), and a failed request fails the run.
  const command = block
    .replace(`GW=${README_URL}`, `GW=${e2e.gatewayUrl}`)
    .replaceAll(README_MODEL, model)
    .replaceAll("curl -s ", "curl -s --fail-with-body -w '\\n' ");
  const withStop = `set -e\n${command}`;

  const { code, stdout, stderr } = await sh(withStop, { ADMIN_TOKEN: e2e.adminToken });

  expect(code, `${stderr}\n${stdout}`).toBe(0);
  const [first, scheduled, inForce, versions] = stdout
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as Price & { data: Price[] });
  expect(first).toMatchObject({ model, input_usd_per_mtok: "0.59", cached_input_usd_per_mtok: "0.295" });
  expect(scheduled).toMatchObject({ model, input_usd_per_mtok: "0.65", effective_from: "2030-01-01T00:00:00.000Z" });
  expect(inForce?.data.filter((p) => p.model === model).map((p) => p.input_usd_per_mtok)).toEqual(["0.59"]);
  expect(versions?.data.map((p) => p.input_usd_per_mtok)).toEqual(["0.65", "0.59"]);
});
