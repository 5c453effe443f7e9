/**
 * Who the demo of `npm run dev` is about: its teams and keys, what each key sends, and the
 * prices of the mock Tensoras's models. Data only: scripts/lib/demo-usage.mjs writes it to the
 * ledger, scripts/lib/demo-traffic.mjs makes the requests.
 */

export const DEMO_TEAMS = [
  {
    id: "team_demo_search",
    name: "Search",
    keys: [
      { id: "key_demo_search_web", name: "Web search answers" },
      { id: "key_demo_search_indexer", name: "Document indexer" },
    ],
  },
  {
    id: "team_demo_support",
    name: "Support bot",
    keys: [
      { id: "key_demo_support_widget", name: "Chat widget" },
      { id: "key_demo_support_triage", name: "Ticket triage" },
      { id: "key_demo_support_staging", name: "Widget staging", revoked: true },
    ],
  },
  {
    id: "team_demo_data",
    name: "Data science",
    keys: [
      // Its rate limit is why some of its requests were rejected with 429.
      { id: "key_demo_data_notebooks", name: "Notebooks", limits: { requests_per_minute: 20, tokens_per_minute: null } },
      { id: "key_demo_data_code", name: "Code assistant" },
    ],
  },
];

/** USD per million tokens, as the admin API takes them (input, cached input, output). */
export const DEMO_PRICES = [
  { model: "llama-3.3-70b", usd: ["0.59", "0.295", "0.79"], maxOutput: 8192, context: 131072 },
  { model: "llama-3.1-8b", usd: ["0.05", "0.025", "0.08"], maxOutput: 8192, context: 131072 },
  { model: "qwen-3-32b", usd: ["0.29", "0.145", "0.59"], maxOutput: 8192, context: 131072 },
  { model: "mistral-7b-instruct", usd: ["0.1", "0.05", "0.1"], maxOutput: 4096, context: 32768 },
  { model: "deepseek-r1-distill-70b", usd: ["0.75", "0.375", "0.99"], maxOutput: 16384, context: 131072 },
  { model: "codestral-latest", usd: ["0.3", "0.15", "0.9"], maxOutput: 8192, context: 262144 },
  { model: "bge-large-en-v1.5", usd: ["0.02", "0.02", "0"], maxOutput: 1, context: 512 },
];

export const CHAT = "/v1/chat/completions";
const EMBEDDINGS = "/v1/embeddings";

/**
 * What each demo key sends: a share of all traffic, the endpoint, the models (weighted),
 * token ranges and a rejection rate (only on the key with a rate limit). Models are the mock
 * Tensoras's (mock/tensoras.mjs).
 */
export const DEMO_WORKLOADS = [
  {
    key: "key_demo_search_web",
    weight: 20,
    endpoint: CHAT,
    stream: true,
    models: [["llama-3.3-70b", 1]],
    prompt: [600, 2500],
    completion: [80, 400],
    cached: 0.3,
  },
  {
    key: "key_demo_search_web",
    weight: 14,
    endpoint: CHAT,
    stream: false,
    models: [["llama-3.1-8b", 1]],
    prompt: [60, 220],
    completion: [8, 40],
  },
  { key: "key_demo_search_web", weight: 12, endpoint: EMBEDDINGS, stream: false, models: [["bge-large-en-v1.5", 1]], prompt: [6, 40] },
  {
    key: "key_demo_search_indexer",
    weight: 9,
    endpoint: EMBEDDINGS,
    stream: false,
    models: [["bge-large-en-v1.5", 1]],
    prompt: [400, 6000],
  },
  {
    key: "key_demo_support_widget",
    weight: 16,
    endpoint: CHAT,
    stream: true,
    models: [
      ["llama-3.3-70b", 3],
      ["qwen-3-32b", 2],
    ],
    prompt: [300, 1800],
    completion: [40, 320],
    cached: 0.6,
    tools: true,
  },
  {
    key: "key_demo_support_staging",
    weight: 4,
    endpoint: CHAT,
    stream: true,
    models: [["qwen-3-32b", 1]],
    prompt: [300, 1500],
    completion: [40, 300],
  },
  {
    key: "key_demo_support_triage",
    weight: 8,
    endpoint: CHAT,
    stream: false,
    models: [["mistral-7b-instruct", 1]],
    prompt: [200, 900],
    completion: [4, 30],
  },
  {
    key: "key_demo_data_notebooks",
    weight: 7,
    endpoint: CHAT,
    stream: true,
    models: [
      ["deepseek-r1-distill-70b", 2],
      ["qwen-3-32b", 1],
    ],
    prompt: [200, 3000],
    completion: [300, 2500],
    rejected: 0.12,
  },
  {
    key: "key_demo_data_code",
    weight: 10,
    endpoint: CHAT,
    stream: true,
    models: [["codestral-latest", 1]],
    prompt: [500, 4000],
    completion: [20, 350],
    cached: 0.5,
  },
];
