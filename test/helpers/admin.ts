import { callGateway } from "./gateway";

export const ADMIN_TOKEN = "admin-token-for-tests";

/** Calls the admin API with the test admin token (or another `token`). */
export function adminCall(method: string, path: string, body?: unknown, token: string | null = ADMIN_TOKEN): Promise<Response> {
  const headers: Record<string, string> = {};
  if (token !== null) headers.authorization = `Bearer ${token}`;
  return callGateway(`/admin${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
}

export async function adminJson<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await adminCall(method, path, body);
  if (!res.ok) throw new Error(`${method} ${path} → ${res.status}: ${await res.text()}`);
  return (await res.json()) as T;
}
