// The mock Tensoras's x-mock-* request headers (mock/README.md) for a bench case's shape.

/** Headers for `{ events, intervalMs, bodyBytes }`, each only when the case sets it. */
export function mockKnobs({ events, intervalMs, bodyBytes }) {
  const headers = {};
  if (events !== undefined) headers["x-mock-events"] = String(events);
  if (intervalMs !== undefined) headers["x-mock-interval-ms"] = String(intervalMs);
  if (bodyBytes !== undefined) headers["x-mock-body-bytes"] = String(bodyBytes);
  return headers;
}
