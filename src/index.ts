export default {
  async fetch(): Promise<Response> {
    return new Response("starting", { status: 503 });
  },
} satisfies ExportedHandler<Env>;
