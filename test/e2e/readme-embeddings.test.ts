/**
 * The README's /v1/embeddings example (under "Endpoints"), run as written against the gateway
 * and the mock Tensoras (only the URL and the key swapped in). Issue 15: the mock had no
 * embedding model a user would guess; it now serves Tensoras's own, bge-large-en-v1.5.
 */
import { execFile } from "node:child_process";
import { beforeAll, expect, it } from "vitest";
import { createTeamAndKey, type TestKey, waitForLedgerRecords } from "./helpers/admin";
import { e2e } from "./helpers/env";
import { readmeSection, shBlocks } from "./helpers/readme";

const README_URL = "http://127.0.0.1:8787";
const README_KEY = "tgw_…";

interface Embeddings {
  object: string;
  model: string;
  data: { object: string; index: number; embedding: number[] }[];
  usage: { prompt_tokens: number; total_tokens: number };
}

function run(command: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const decoder = new TextDecoder();
  return new Promise((resolve) => {
    execFile("sh", ["-c", command], { encoding: "buffer", timeout: 30_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout: decoder.decode(stdout), stderr: decoder.decode(stderr) });
    });
  });
}

let key: TestKey;

beforeAll(async () => {
  key = await createTeamAndKey("readme-embeddings");
});

it("runs the README's embeddings example: two 1024-float vectors of bge-large-en-v1.5, metered from Tensoras's usage", async () => {
  const blocks = shBlocks(await readmeSection("## Endpoints")).filter((block) => block.includes("/v1/embeddings"));
  expect(blocks, "one embeddings block under Endpoints").toHaveLength(1);
  const example = blocks[0] as string;
  expect(example.split(README_URL)).toHaveLength(2);
  expect(example.split(README_KEY)).toHaveLength(2);
  const shown = JSON.parse((example.split("\n").find((line) => line.startsWith("# {")) ?? "").slice(2).replace(/,…\]/g, "]")) as Embeddings;

  const { code, stdout, stderr } = await run(example.replace(README_URL, e2e.gatewayUrl).replace(README_KEY, key.key));

  expect(code, stderr).toBe(0);
  const answer = JSON.parse(stdout) as Embeddings;
  expect(answer.model).toBe("bge-large-en-v1.5");
  expect(answer.data.map((item) => item.embedding.length)).toEqual([1024, 1024]);
  expect(answer.data[0]?.embedding.slice(0, 2)).toEqual(shown.data[0]?.embedding);
  expect(answer.usage).toEqual(shown.usage);
  const [record] = await waitForLedgerRecords(key.keyId, () => true, "the embeddings example");
  expect(record).toMatchObject({
    endpoint: "/v1/embeddings",
    model: "bge-large-en-v1.5",
    outcome: "completed",
    usage_source: "upstream",
    prompt_tokens: shown.usage.prompt_tokens,
  });
});
