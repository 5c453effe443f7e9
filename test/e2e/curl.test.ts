/**
 * The README's curl example, run as written (only the gateway URL and the key
 * swapped in), so the Quick start cannot rot.
 */
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { beforeAll, expect, it } from "vitest";
import { createTeamAndKey, type TestKey, waitForLedgerRecords } from "./helpers/admin";
import { e2e } from "./helpers/env";
import { expectMetered, expectRelayedAsSent } from "./helpers/expectations";
import type { Exchange } from "./helpers/wire";

const README_URL = "http://127.0.0.1:8787";
const README_KEY = "tgw_…";

/** The fenced block of README's "Quick start" that holds `curl`. */
async function readmeCurl(): Promise<string> {
  const readme = await readFile(new URL("../../README.md", import.meta.url), "utf8");
  const quickStart = /^## Quick start\n([\s\S]*?)(?=^## )/m.exec(readme)?.[1];
  if (!quickStart) throw new Error('README.md has no "## Quick start" section');
  const blocks = [...quickStart.matchAll(/^```[a-z]*\n([\s\S]*?)^```/gm)].map((match) => match[1] as string);
  const curl = blocks.filter((block) => /^\s*curl\s/m.test(block));
  if (curl.length !== 1) throw new Error(`expected one curl block in README's Quick start, found ${curl.length}`);
  return curl[0] as string;
}

function run(command: string): Promise<{ code: number; stdout: Uint8Array; stderr: string }> {
  return new Promise((resolve) => {
    execFile("sh", ["-c", command], { encoding: "buffer", timeout: 30_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr: new TextDecoder().decode(stderr) });
    });
  });
}

let key: TestKey;

beforeAll(async () => {
  // A key of its own: curl shows no headers, so the ledger's only record for it gives the request id.
  key = await createTeamAndKey("readme-curl");
});

it("runs the README's curl example and gets an SSE stream ending in [DONE]", async () => {
  const example = await readmeCurl();
  expect(example.split(README_URL), `the README's curl uses ${README_URL}`).toHaveLength(2);
  expect(example.split(README_KEY), `the README's curl uses the placeholder key ${README_KEY}`).toHaveLength(2);
  const command = example.replace(README_URL, e2e.gatewayUrl).replace(README_KEY, key.key);

  const { code, stdout, stderr } = await run(command);

  expect(stderr === "" || code === 0, stderr).toBe(true);
  expect(code).toBe(0);
  const text = new TextDecoder().decode(stdout);
  expect(text.endsWith("data: [DONE]\n\n"), "the stream ends with data: [DONE]").toBe(true);
  const events = text
    .split("\n\n")
    .filter((event) => event.startsWith("data: {"))
    .map((event) => JSON.parse(event.slice("data: ".length)) as { object: string; choices: { delta: { content?: string } }[] });
  expect(events.length).toBeGreaterThan(2);
  expect(events.every((event) => event.object === "chat.completion.chunk" && event.choices.length === 1)).toBe(true);
  expect(events.map((event) => event.choices[0]?.delta.content ?? "").join("")).toMatch(/^You said: Hello\. This is/);

  const records = await waitForLedgerRecords(key.keyId, () => true, "the curl request");
  expect(records, "one request, one record").toHaveLength(1);
  const [record] = records;
  const requestBody = JSON.parse(/-d '([^']*)'/.exec(example)?.[1] ?? "null") as Record<string, unknown>;
  const exchange: Exchange = {
    method: "POST",
    url: `${e2e.gatewayUrl}/v1/chat/completions`,
    requestBody,
    status: 200,
    headers: new Headers(),
    requestId: record?.request_id ?? "",
    received: Promise.resolve({ bytes: stdout, end: "complete" }),
  };
  expect((await expectRelayedAsSent(exchange)).withheld).toBe(0);
  await expectMetered(exchange, key, { outcome: "completed", usage: "upstream", finishReason: "stop" });
});
