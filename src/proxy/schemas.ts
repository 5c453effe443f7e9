import { z } from "zod";

/**
 * What the gateway itself needs from a request body, nothing more: loose
 * objects, so every other field passes to Tensoras untouched (the bytes are
 * forwarded as received, these schemas only check them).
 */
const modelField = z.string({ error: "`model` must be a string naming a Tensoras model" }).min(1, "`model` must not be empty");
const streamField = z.boolean({ error: "`stream` must be true or false" }).optional();
const streamOptionsField = z
  .looseObject({ include_usage: z.boolean({ error: "`stream_options.include_usage` must be true or false" }).optional() })
  .nullable()
  .optional();

export const ChatCompletionBody = z.looseObject({
  model: modelField,
  stream: streamField,
  stream_options: streamOptionsField,
  messages: z.array(z.unknown(), { error: "`messages` must be an array of messages" }),
});

export const CompletionBody = z.looseObject({
  model: modelField,
  stream: streamField,
  stream_options: streamOptionsField,
});

export const EmbeddingsBody = z.looseObject({
  model: modelField,
});

export type ProxiedBody = z.infer<typeof CompletionBody>;
export type BodySchema = typeof ChatCompletionBody | typeof CompletionBody | typeof EmbeddingsBody;
