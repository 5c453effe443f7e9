/**
 * Where the processes under test are. scripts/e2e.mjs starts them and sets these;
 * running vitest with this config by hand needs them set the same way.
 */
export interface E2eEnv {
  /** `wrangler dev` running the gateway, e.g. http://127.0.0.1:41234 */
  gatewayUrl: string;
  adminToken: string;
  /** The mock Tensoras the gateway forwards to (its /__mock endpoints show what it sent). */
  mockUrl: string;
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the suite with \`npm run test:e2e\`, which starts the gateway and the mock.`);
  return value;
}

export const e2e: E2eEnv = {
  gatewayUrl: required("E2E_GATEWAY_URL"),
  adminToken: required("E2E_ADMIN_TOKEN"),
  mockUrl: required("E2E_MOCK_URL"),
};

export const GATEWAY_V1 = `${e2e.gatewayUrl}/v1`;
