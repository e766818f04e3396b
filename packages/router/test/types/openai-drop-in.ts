// A type test, checked by `npm run typecheck` and never run: code typed with the `openai` package, 6 or 7,
// works with the router both ways, and the request types are closed. Each `@ts-expect-error` fails the check
// once its line compiles, so the types cannot silently grow loose.
import type { OpenAI6 } from './openai6';
import type { OpenAI7 } from './openai7';
import {
  completion,
  embedding,
  Router,
  textCompletion,
  type Base64EmbeddingResponse,
  type ChatCompletion,
  type ChatCompletionChunk,
  type ChatMessage,
  type CompletionRequest,
  type CompletionStream,
  type EmbeddingResponse,
  type TextCompletion,
} from '@llmcache/router';

// Every check runs against both majors at once: a param typed with either is accepted (a union), and an
// answer is assignable to both's types (an intersection is assignable-to only when each part is).
type Majors = OpenAI6 | OpenAI7;
type Both<K extends keyof Majors> = OpenAI6[K] & OpenAI7[K];

declare const router: Router;
declare const nonStreaming: Majors['NonStreaming'];
declare const streaming: Majors['Streaming'];
declare const either: Majors['Either'];
declare const embeddingParams: Majors['EmbeddingParams'];
declare const textParams: Majors['TextParams'];
declare const textStreamParams: Majors['TextStreamParams'];
declare const flag: boolean;

/** Compiles only when `T` is exactly `U`. */
type Exactly<T, U> = (<V>() => V extends T ? 1 : 2) extends <V>() => V extends U ? 1 : 2 ? true : false;
function expectType<T, U>(_: Exactly<T, U>): void {}

export async function requestsTypedWithOpenAI(): Promise<void> {
  // 1. openai's params are accepted as they are, and the overloads pick the answer's type from `stream`.
  const answer = await router.completion(nonStreaming);
  expectType<typeof answer, ChatCompletion>(true);
  const stream = await router.completion(streaming);
  expectType<typeof stream, CompletionStream>(true);
  const unknownKind = await router.completion(either);
  expectType<typeof unknownKind, ChatCompletion | CompletionStream>(true);

  const topLevel = await completion({ ...nonStreaming, apiKey: 'sk-test' });
  expectType<typeof topLevel, ChatCompletion>(true);
  const topLevelStream = await completion(streaming);
  expectType<typeof topLevelStream, CompletionStream>(true);
  const topLevelEither = await completion(either);
  expectType<typeof topLevelEither, ChatCompletion | CompletionStream>(true);

  // `stream` as a boolean answers either; a literal, the one it says.
  const maybe = await router.completion({ model: 'g', messages: [], stream: flag });
  expectType<typeof maybe, ChatCompletion | CompletionStream>(true);
  const whole = await router.completion({ model: 'g', messages: [], stream: false });
  expectType<typeof whole, ChatCompletion>(true);
  const nulled = await router.completion({ model: 'g', messages: [], stream: null });
  expectType<typeof nulled, ChatCompletion>(true);
  const chunks = await router.completion({ model: 'g', messages: [], stream: true });
  expectType<typeof chunks, CompletionStream>(true);

  // Embeddings: float vectors unless base64 is asked for; a format known only at run time answers either.
  const vectors = await router.embedding({ ...embeddingParams, encoding_format: 'float' });
  expectType<typeof vectors, EmbeddingResponse>(true);
  const base64 = await router.embedding({ ...embeddingParams, encoding_format: 'base64' });
  expectType<typeof base64, Base64EmbeddingResponse>(true);
  const eitherVectors = await router.embedding(embeddingParams);
  expectType<typeof eitherVectors, EmbeddingResponse | Base64EmbeddingResponse>(true);
  const tokens = await embedding({
    model: 'openai/text-embedding-3-small',
    input: [
      [1, 2, 3],
      [4, 5],
    ],
  });
  expectType<typeof tokens, EmbeddingResponse>(true);

  // Text completions do not stream: openai's streaming params are refused.
  const text = await router.textCompletion(textParams);
  expectType<typeof text, TextCompletion>(true);
  await textCompletion(textParams);
  // @ts-expect-error textCompletion does not stream
  await router.textCompletion(textStreamParams);

  // 2. Every answer is what openai's types describe.
  const openaiAnswer: Both<'ChatCompletion'> = answer;
  const openaiText: Both<'TextCompletion'> = text;
  const openaiVectors: Both<'EmbeddingResponse'> = vectors;
  for await (const chunk of stream) {
    const openaiChunk: Both<'ChatCompletionChunk'> = chunk;
    void openaiChunk;
  }
  // openai's messages and the router's answer go back into the conversation.
  const openaiMessages: Majors['MessageParam'][] = nonStreaming.messages;
  const history: ChatMessage[] = [...openaiMessages, answer.choices[0]!.message];
  await router.completion({ model: 'g', messages: history });
  void [openaiAnswer, openaiText, openaiVectors];
}

export async function closedRequests(): Promise<void> {
  const messages: ChatMessage[] = [{ role: 'user', content: 'hi' }];
  // @ts-expect-error a misspelt OpenAI param
  await router.completion({ model: 'g', messages, temprature: 0.2 });
  // @ts-expect-error a misspelt router option
  await router.completion({ model: 'g', messages, numRetires: 2 });
  // @ts-expect-error a param of the wrong type
  await router.completion({ model: 'g', messages, temperature: 'warm' });
  // @ts-expect-error a cache control of the wrong type
  await router.completion({ model: 'g', messages, cache: { ttl: '1h' } });
  // @ts-expect-error a message role OpenAI does not have
  await router.completion({ model: 'g', messages: [{ role: 'robot', content: 'hi' }] });
  // @ts-expect-error a tool message needs the call it answers
  await router.completion({ model: 'g', messages: [{ role: 'tool', content: '42' }] });
  // @ts-expect-error a provider-specific param outside extra_body
  await router.completion({ model: 'g', messages, top_k: 40 });
  // @ts-expect-error a misspelt embedding param
  await router.embedding({ model: 'e', input: 'x', dimension: 256 });
  // @ts-expect-error embedding input of the wrong type
  await router.embedding({ model: 'e', input: [true] });
  // @ts-expect-error extra_body is an object of params
  await router.completion({ model: 'g', messages, extra_body: 'top_k=40' });
  // @ts-expect-error a misspelt top-level option
  await completion({ model: 'openai/gpt-4o', messages, api_key: 'sk' });

  // What the router accepts besides OpenAI's params: its own options, LiteLLM's per-call ones, extra_body.
  const request: CompletionRequest = {
    model: 'g',
    messages,
    cache: { ttl: 60, 'no-store': false },
    mockResponse: 'hi',
    timeout: 5,
    request_timeout: 5,
    stream_timeout: 2,
    numRetries: 1,
    num_retries: 1,
    signal: new AbortController().signal,
    extra_headers: { 'x-trace': 'abc' },
    organization: 'org-1',
    drop_params: true,
    metadata: { run: 1 },
    user: 'user-1',
    extra_body: { top_k: 40, repetition_penalty: 1.1 },
  };
  await router.completion(request);
}
