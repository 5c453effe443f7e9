/**
 * A `fetch` to hand to an SDK so the test sees exactly what the SDK sent and
 * received: the request body, the response's x-request-id, and every body byte
 * the SDK read, passed through untouched (the SDK's pace is still the network's).
 */

export interface ReceivedBody {
  bytes: Uint8Array;
  /** `complete`: read to the end; `cancelled`: the SDK stopped reading (abort); `errored`: the connection failed. */
  end: "complete" | "cancelled" | "errored";
}

export interface Exchange {
  method: string;
  url: string;
  /** The JSON body the SDK sent, parsed; null for none. */
  requestBody: Record<string, unknown> | null;
  status: number;
  headers: Headers;
  /** The gateway's id for this request: the ledger's primary key and the mock's record key. */
  requestId: string;
  /** Settles when the SDK finished with the body, however it finished. */
  received: Promise<ReceivedBody>;
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

async function bodyText(input: RequestInfo | URL, init?: RequestInit): Promise<string | null> {
  if (init?.body !== undefined && init.body !== null) {
    if (typeof init.body === "string") return init.body;
    return new Response(init.body as BodyInit).text();
  }
  if (input instanceof Request) return input.clone().text();
  return null;
}

/** Re-streams `body` as the SDK reads it, keeping a copy of each chunk. */
function recording(body: ReadableStream<Uint8Array>): { stream: ReadableStream<Uint8Array>; received: Promise<ReceivedBody> } {
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let settle!: (end: ReceivedBody["end"]) => void;
  const received = new Promise<ReceivedBody>((resolve) => {
    let settled = false;
    settle = (end) => {
      if (settled) return;
      settled = true;
      resolve({ bytes: concat(chunks), end });
    };
  });
  const stream = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          const { done, value } = await reader.read();
          if (done) {
            controller.close();
            settle("complete");
            return;
          }
          chunks.push(value);
          controller.enqueue(value);
        } catch (error) {
          settle("errored");
          controller.error(error);
        }
      },
      cancel(reason) {
        settle("cancelled");
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, received };
}

export class WireLog {
  readonly exchanges: Exchange[] = [];

  readonly fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const text = await bodyText(input, init);
    const response = await fetch(input, init);
    const base = {
      method: init?.method ?? (input instanceof Request ? input.method : "GET"),
      url: input instanceof Request ? input.url : String(input),
      requestBody: text ? (JSON.parse(text) as Record<string, unknown>) : null,
      status: response.status,
      headers: response.headers,
      requestId: response.headers.get("x-request-id") ?? "",
    };
    if (response.body === null) {
      this.exchanges.push({ ...base, received: Promise.resolve({ bytes: new Uint8Array(0), end: "complete" }) });
      return response;
    }
    const { stream, received } = recording(response.body);
    this.exchanges.push({ ...base, received });
    return new Response(stream, { status: response.status, statusText: response.statusText, headers: response.headers });
  };

  /** The one HTTP exchange of a case: an SDK that retried or made a second call fails here. */
  only(): Exchange {
    if (this.exchanges.length !== 1) {
      const list = this.exchanges.map((e) => `${e.method} ${e.url} → ${e.status}`).join("; ");
      throw new Error(`expected exactly one HTTP exchange, saw ${this.exchanges.length}: ${list}`);
    }
    return this.exchanges[0] as Exchange;
  }
}
