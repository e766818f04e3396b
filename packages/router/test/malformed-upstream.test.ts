// An upstream answer of the wrong shape is a typed, retried 500 and is never stored: over real sockets,
// on the OpenAI, Azure and Anthropic paths, for every call type the providers serve and for streams.
import { Cache } from '@llmcache/core';
import { APIConnectionError, InternalServerError, type ChatCompletionChunk, RateLimitError, Router } from '@llmcache/router';
import type { Step, Upstream } from '@llmcache/test-upstream';
import { ask, deployment, useUpstream } from './helpers';

const upstream = useUpstream();
const NUM_RETRIES = 2;

type ErrorClass = new (...args: any[]) => Error;

interface UpstreamPath {
  provider: 'openai' | 'azure' | 'anthropic';
  /** The deployment's params, pointed at the local upstream. */
  params: (upstream: Upstream) => { model: string; apiBase: string; apiVersion?: string };
  /** The model the upstream sees (and scripts key on). */
  upstreamModel: string;
}

const openai = (model: string): UpstreamPath => ({
  provider: 'openai',
  params: (u) => ({ model: `openai/${model}`, apiBase: u.openaiBase }),
  upstreamModel: model,
});
const azure = (deployment: string): UpstreamPath => ({
  provider: 'azure',
  params: (u) => ({ model: `azure/${deployment}`, apiBase: u.url, apiVersion: '2024-06-01' }),
  upstreamModel: deployment,
});
const anthropic = (model: string): UpstreamPath => ({
  provider: 'anthropic',
  params: (u) => ({ model: `anthropic/${model}`, apiBase: u.url }),
  upstreamModel: model,
});

function routerFor(path: UpstreamPath): { router: Router; cache: Cache } {
  const cache = new Cache();
  const router = new Router({
    modelList: [{ modelName: 'g', params: { ...path.params(upstream()), apiKey: 'k' } }],
    numRetries: NUM_RETRIES,
    retryAfter: 0.001,
    cache,
  });
  return { router, cache };
}

/** The same step for the first try and every retry. */
const everyAttempt = (step: Step): Step[] => Array.from({ length: NUM_RETRIES + 1 }, () => step);

async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value) => ({ resolvedWith: value }),
    (err: unknown) => err,
  );
}

/**
 * `call` fails with a typed 500 after every retry and stores nothing; the next call (answered normally)
 * is a miss that goes upstream, and is stored, so the cache was working all along.
 */
async function expectRetried500NothingStored(
  path: UpstreamPath,
  cache: Cache,
  call: () => Promise<{ _hiddenParams: { cacheHit: boolean } }>,
  expected: { type: ErrorClass; message: RegExp },
): Promise<void> {
  const err = await failureOf(call());
  expect(err).toBeInstanceOf(expected.type);
  expect(err).toMatchObject({ status: 500, provider: path.provider, message: expect.stringMatching(expected.message) });
  expect(upstream().callCount({ model: path.upstreamModel })).toBe(NUM_RETRIES + 1);
  expect(cache.stats().writes).toBe(0);

  const next = await call();
  expect(next._hiddenParams.cacheHit).toBe(false);
  expect(upstream().callCount({ model: path.upstreamModel })).toBe(NUM_RETRIES + 2);
  expect(cache.stats().writes).toBeGreaterThan(0);
}

const SERVER_ERROR = { error: { message: 'overloaded', type: 'server_error' } };

/** [provider, shape name, path, body]: the first two name the test. */
type Case = [string, string, UpstreamPath, unknown];

describe('a 200 that is not a chat completion', () => {
  const OPENAI_SHAPES: Array<[string, unknown]> = [
    ['null', null],
    ['a number', 42],
    ['a JSON string', '"hello"'],
    ['an array', []],
    ['an error object', SERVER_ERROR],
    ['no choices', { id: 'chatcmpl-1', object: 'chat.completion', created: 1, model: 'm' }],
    ['empty choices', { id: 'chatcmpl-1', object: 'chat.completion', choices: [] }],
    ['choices that are not an array', { id: 'chatcmpl-1', choices: { 0: { index: 0, message: { role: 'assistant', content: 'hi' } } } }],
    ['a null choice', { id: 'chatcmpl-1', choices: [null] }],
    ['a choice without a message', { id: 'chatcmpl-1', choices: [{ index: 0, finish_reason: 'stop' }] }],
    ['a message that is a string', { id: 'chatcmpl-1', choices: [{ index: 0, message: 'hi', finish_reason: 'stop' }] }],
    ['content that is a number', { id: 'chatcmpl-1', choices: [{ index: 0, message: { role: 'assistant', content: 7 }, finish_reason: 'stop' }] }],
  ];
  const message = { id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-m', stop_reason: 'end_turn', usage: { input_tokens: 1, output_tokens: 1 } };
  const ANTHROPIC_SHAPES: Array<[string, unknown]> = [
    ['null', null],
    ['a number', 42],
    ['a JSON string', '"hello"'],
    ['an error object', { type: 'error', error: { type: 'api_error', message: 'overloaded' } }],
    ['no content', message],
    ['content that is not an array', { ...message, content: 'hi' }],
    ['a null block', { ...message, content: [null] }],
    ['a text block without text', { ...message, content: [{ type: 'text' }] }],
    ['a block without a type', { ...message, content: [{ text: 'hi' }] }],
  ];
  const cases: Case[] = [
    ...OPENAI_SHAPES.map(([name, body]): Case => ['openai', name, openai('gpt-m'), body]),
    ...OPENAI_SHAPES.map(([name, body]): Case => ['azure', name, azure('dep-m'), body]),
    ...ANTHROPIC_SHAPES.map(([name, body]): Case => ['anthropic', name, anthropic('claude-m'), body]),
  ];

  it.each(cases)('%s: %s is a retried InternalServerError, never returned or stored', async (_provider, _name, path, body) => {
    const { router, cache } = routerFor(path);
    upstream().script(path.upstreamModel, ...everyAttempt({ body }));
    const what = path.provider === 'anthropic' ? 'an Anthropic message' : 'a chat completion';
    await expectRetried500NothingStored(path, cache, () => router.completion({ model: 'g', messages: ask('malformed chat') }), {
      type: InternalServerError,
      message: new RegExp(`answer is not ${what}: `),
    });
  });

  it.each([openai('gpt-m'), azure('dep-m'), anthropic('claude-m')])('$provider: the error a 200 reports is in the message and code', async (path) => {
    const { router } = routerFor(path);
    const body =
      path.provider === 'anthropic'
        ? { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded right now' } }
        : { error: { message: 'Overloaded right now', type: 'server_error', code: 'busy' } };
    upstream().script(path.upstreamModel, ...everyAttempt({ body }));
    const err = await failureOf(router.completion({ model: 'g', messages: ask('x') }));
    expect(err).toBeInstanceOf(InternalServerError);
    expect(err).toMatchObject({ status: 500, code: path.provider === 'anthropic' ? 'overloaded_error' : 'busy' });
    expect((err as Error).message).toContain('it reports an error: Overloaded right now');
  });

  it.each([openai('gpt-m'), azure('dep-m')])(
    '$provider: content parts (an array), as some compatible servers send, are still an answer: their text is the content',
    async (path) => {
      const { router } = routerFor(path);
      const content = [
        { type: 'text', text: 'in ' },
        { type: 'text', text: 'parts' },
      ];
      upstream().script(path.upstreamModel, {
        body: {
          id: 'chatcmpl-1',
          object: 'chat.completion',
          created: 1,
          model: 'm',
          choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
        },
      });
      const res = await router.completion({ model: 'g', messages: ask('parts') });
      expect(res.choices[0]!.message.content).toBe('in parts');
      expect(upstream().callCount({ model: path.upstreamModel })).toBe(1);
    },
  );

  it.each([openai('gpt-m'), azure('dep-m'), anthropic('claude-m')])('$provider: a retry that gets a good answer returns and stores it', async (path) => {
    const { router, cache } = routerFor(path);
    upstream().script(path.upstreamModel, { body: null });
    const res = await router.completion({ model: 'g', messages: ask('second time lucky') });
    expect(res.choices[0]!.message.content).toBe(`Reply to "second time lucky" from ${path.upstreamModel}`);
    expect(upstream().callCount({ model: path.upstreamModel })).toBe(2);
    expect(cache.stats().writes).toBe(1);
  });
});

describe('a 200 that is not a text completion, embedding list or transcription', () => {
  const TEXT_SHAPES: Array<[string, unknown]> = [
    ['null', null],
    ['an error object', SERVER_ERROR],
    ['empty choices', { id: 'cmpl-1', object: 'text_completion', choices: [] }],
    ['a null choice', { id: 'cmpl-1', choices: [null] }],
    ['a choice without text', { id: 'cmpl-1', choices: [{ index: 0, finish_reason: 'stop' }] }],
    ['text that is a number', { id: 'cmpl-1', choices: [{ index: 0, text: 5, finish_reason: 'stop' }] }],
  ];
  it.each([
    ...TEXT_SHAPES.map(([name, body]): Case => ['openai', name, openai('text-m'), body]),
    ...TEXT_SHAPES.map(([name, body]): Case => ['azure', name, azure('text-dep'), body]),
  ])('textCompletion on %s: %s', async (_provider, _name, path, body) => {
    const { router, cache } = routerFor(path);
    upstream().script(path.upstreamModel, ...everyAttempt({ body }));
    await expectRetried500NothingStored(path, cache, () => router.textCompletion({ model: 'g', prompt: 'say something' }), {
      type: InternalServerError,
      message: /answer is not a text completion: /,
    });
  });

  const EMBEDDING_SHAPES: Array<[string, unknown]> = [
    ['null', null],
    ['an error object', SERVER_ERROR],
    ['no data', { object: 'list', model: 'e', usage: { prompt_tokens: 1, total_tokens: 1 } }],
    ['data that is null', { object: 'list', data: null }],
    ['a null item', { object: 'list', data: [null] }],
    ['an item without embedding', { object: 'list', data: [{ object: 'embedding', index: 0 }] }],
    ['an embedding of strings', { object: 'list', data: [{ object: 'embedding', index: 0, embedding: ['a', 'b'] }] }],
    ['an item without index', { object: 'list', data: [{ object: 'embedding', embedding: [0.1, 0.2] }] }],
  ];
  it.each([
    ...EMBEDDING_SHAPES.map(([name, body]): Case => ['openai', name, openai('emb-m'), body]),
    ...EMBEDDING_SHAPES.map(([name, body]): Case => ['azure', name, azure('emb-dep'), body]),
  ])('embedding on %s: %s', async (_provider, _name, path, body) => {
    const { router, cache } = routerFor(path);
    upstream().script(path.upstreamModel, ...everyAttempt({ body }));
    await expectRetried500NothingStored(path, cache, () => router.embedding({ model: 'g', input: 'embed me' }), {
      type: InternalServerError,
      message: /answer is not an embedding list: /,
    });
  });

  const TRANSCRIPTION_SHAPES: Array<[string, unknown]> = [
    ['null', null],
    ['an error object', SERVER_ERROR],
    ['no text', { task: 'transcribe' }],
    ['text that is null', { text: null }],
    ['text that is a number', { text: 7 }],
  ];
  const audio = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]);
  it.each([
    ...TRANSCRIPTION_SHAPES.map(([name, body]): Case => ['openai', name, openai('whisper-m'), body]),
    ...TRANSCRIPTION_SHAPES.map(([name, body]): Case => ['azure', name, azure('whisper-dep'), body]),
  ])('transcription on %s: %s', async (_provider, _name, path, body) => {
    const { router, cache } = routerFor(path);
    upstream().script(path.upstreamModel, ...everyAttempt({ body }));
    await expectRetried500NothingStored(path, cache, () => router.transcription({ model: 'g', file: audio, fileName: 'a.wav' }), {
      type: InternalServerError,
      message: /answer is not a transcription: /,
    });
  });
});

// ---- streams ----

const sse = (data: unknown, event?: string): string =>
  `${event === undefined ? '' : `event: ${event}\n`}data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`;

const openAiChunk = (delta: object, finish: string | null = null) => ({
  id: 'chatcmpl-raw',
  object: 'chat.completion.chunk',
  created: 1,
  model: 'm',
  choices: [{ index: 0, delta, finish_reason: finish }],
});
const OPENAI_FIRST = openAiChunk({ role: 'assistant', content: 'Hel' });

interface StreamPath extends UpstreamPath {
  /** Well-formed events before the malformed one: the consumer gets chunks from them. */
  start: string[];
  /** Well-formed events that end the stream properly after the malformed one. */
  end: string[];
  /** How many chunks `start` gives the consumer. */
  startChunks: number;
  /** Malformed events: [name, raw SSE block, error class, message pattern]. */
  malformed: Array<[string, string, ErrorClass, RegExp]>;
}

const OPENAI_MALFORMED: StreamPath['malformed'] = [
  ['a null chunk', sse('null'), InternalServerError, /chunk that is not a chat completion chunk: expected an object, got null/],
  ['a number chunk', sse('42'), InternalServerError, /expected an object, got a number/],
  ['a JSON string chunk', sse('"hi"'), InternalServerError, /expected an object, got a string/],
  ['an array chunk', sse('[]'), InternalServerError, /expected an object, got an empty array/],
  [
    'choices that are not an array',
    sse({ id: 'c', object: 'chat.completion.chunk', choices: { index: 0 } }),
    InternalServerError,
    /choices: expected an array, got an object/,
  ],
  ['a null choice', sse({ id: 'c', object: 'chat.completion.chunk', choices: [null] }), InternalServerError, /choices\[0\]: expected an object, got null/],
  ['a chunk that is not JSON', sse('{"id": "c", oops'), APIConnectionError, /chunk that is not JSON/],
  ['an error event with a wrapped error', sse(SERVER_ERROR, 'error'), APIConnectionError, /stream failed: overloaded/],
  ['an error event with a bare error', sse({ message: 'overloaded', type: 'server_error' }, 'error'), APIConnectionError, /stream failed: overloaded/],
  ['an error event that is not JSON', sse('upstream overloaded', 'error'), APIConnectionError, /stream failed: upstream overloaded/],
];

const openAiStream = (path: UpstreamPath): StreamPath => ({
  ...path,
  start: [sse(OPENAI_FIRST)],
  end: [sse(openAiChunk({ content: 'lo' })), sse(openAiChunk({}, 'stop')), sse('[DONE]')],
  startChunks: 1,
  malformed: OPENAI_MALFORMED,
});

const ANTHROPIC_STREAM: StreamPath = {
  ...anthropic('claude-m'),
  start: [
    sse(
      {
        type: 'message_start',
        message: { id: 'msg_raw', type: 'message', role: 'assistant', model: 'claude-m', content: [], usage: { input_tokens: 3, output_tokens: 1 } },
      },
      'message_start',
    ),
    sse({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }, 'content_block_start'),
    sse({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hel' } }, 'content_block_delta'),
  ],
  end: [
    sse({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'lo' } }, 'content_block_delta'),
    sse({ type: 'content_block_stop', index: 0 }, 'content_block_stop'),
    sse({ type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 2 } }, 'message_delta'),
    sse({ type: 'message_stop' }, 'message_stop'),
  ],
  startChunks: 2, // the role chunk, then 'Hel'
  malformed: [
    ['a null event', sse('null', 'content_block_delta'), InternalServerError, /event that is not an Anthropic stream event: expected an object, got null/],
    ['a number event', sse('42', 'content_block_delta'), InternalServerError, /expected an object, got a number/],
    [
      'an event without a type',
      sse({ index: 0, delta: { type: 'text_delta', text: 'x' } }, 'content_block_delta'),
      InternalServerError,
      /type: expected a string, got nothing/,
    ],
    [
      'a delta without its delta',
      sse({ type: 'content_block_delta', index: 0 }, 'content_block_delta'),
      InternalServerError,
      /delta: expected an object, got nothing/,
    ],
    [
      'a text delta whose text is a number',
      sse({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 5 } }, 'content_block_delta'),
      InternalServerError,
      /delta.text: expected a string, got a number/,
    ],
    ['an event that is not JSON', sse('{"type": oops', 'content_block_delta'), APIConnectionError, /chunk that is not JSON/],
    ['an error event', sse({ type: 'error', error: { type: 'api_error', message: 'boom' } }, 'error'), APIConnectionError, /stream failed: boom/],
    ['an error event with a bare error', sse({ message: 'boom' }, 'error'), APIConnectionError, /stream failed: boom/],
  ],
};

const STREAM_PATHS: StreamPath[] = [openAiStream(openai('gpt-m')), openAiStream(azure('dep-m')), ANTHROPIC_STREAM];

describe('a stream with a malformed event', () => {
  it.each(STREAM_PATHS)('$provider: the well-formed raw stream alone is a complete answer, stored', async (path) => {
    const { router, cache } = routerFor(path);
    upstream().script(path.upstreamModel, { rawStream: [...path.start, ...path.end] });
    const chunks: ChatCompletionChunk[] = [];
    for await (const chunk of await router.completion({ model: 'g', messages: ask('raw stream'), stream: true })) chunks.push(chunk);
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe('Hello');
    expect(cache.stats().writes).toBe(1);
    expect((await router.completion({ model: 'g', messages: ask('raw stream') }))._hiddenParams.cacheHit).toBe(true);
  });

  const midStream = STREAM_PATHS.flatMap((path) =>
    path.malformed.map(([name, block, type, message]) => [path.provider, name, path, block, type, message] as const),
  );

  it.each(midStream)(
    '%s: %s after the first chunk throws to the consumer, is never a chunk, and nothing is stored',
    async (_provider, _name, path, block, type, message) => {
      const { router, cache } = routerFor(path);
      // The well-formed end follows, so code that skipped or yielded the bad event would finish normally.
      upstream().script(path.upstreamModel, { rawStream: [...path.start, block, ...path.end] });
      const stream = await router.completion({ model: 'g', messages: ask('stream me'), stream: true });
      const received: unknown[] = [];
      const err = await failureOf(
        (async () => {
          for await (const chunk of stream) received.push(chunk);
        })(),
      );
      expect(err).toBeInstanceOf(type);
      expect(err).toMatchObject({ status: 500, provider: path.provider, message: expect.stringMatching(message) });
      // Only the chunks of the well-formed start reached the consumer, each a real chunk.
      expect(received).toHaveLength(path.startChunks);
      for (const chunk of received)
        expect(chunk).toMatchObject({ object: 'chat.completion.chunk', choices: [expect.objectContaining({ delta: expect.any(Object) })] });
      if (path.provider !== 'anthropic') expect(received[0]).toEqual(OPENAI_FIRST);
      // Past the first chunk a stream is not retried: the consumer already has part of it.
      expect(upstream().callCount({ model: path.upstreamModel })).toBe(1);
      expect(cache.stats().writes).toBe(0);

      const next = await router.completion({ model: 'g', messages: ask('stream me') });
      expect(next._hiddenParams.cacheHit).toBe(false);
      expect(upstream().callCount({ model: path.upstreamModel })).toBe(2);
    },
  );

  it.each(STREAM_PATHS)('$provider: a bare error event is typed by its type, so a rate limit is a RateLimitError', async (path) => {
    const { router } = routerFor(path);
    upstream().script(path.upstreamModel, { rawStream: [...path.start, sse({ type: 'rate_limit_error', message: 'slow down' }, 'error'), ...path.end] });
    const stream = await router.completion({ model: 'g', messages: ask('limited'), stream: true });
    const err = await failureOf(
      (async () => {
        for await (const _chunk of stream) {
          // drain
        }
      })(),
    );
    expect(err).toBeInstanceOf(RateLimitError);
    expect(err).toMatchObject({ status: 429, code: 'rate_limit_error', message: expect.stringContaining('stream failed: slow down') });
  });

  const firstEvent = STREAM_PATHS.flatMap((path) =>
    path.malformed.slice(0, 2).map(([name, block, type, message]) => [path.provider, name, path, block, type, message] as const),
  );

  it.each(firstEvent)(
    '%s: %s as the first event is retried like a 500, then fails the call; nothing is stored',
    async (_provider, _name, path, block, type, message) => {
      const { router, cache } = routerFor(path);
      upstream().script(
        path.upstreamModel,
        ...everyAttempt({ rawStream: path.provider === 'anthropic' ? [block, ...path.start, ...path.end] : [block, ...path.end] }),
      );
      await expectRetried500NothingStored(
        path,
        cache,
        async () => {
          const stream = await router.completion({ model: 'g', messages: ask('first event'), stream: true });
          for await (const _chunk of stream) {
            // drain: the answer is stored when the iteration ends
          }
          return stream;
        },
        { type, message },
      );
    },
  );
});

describe('short embedding answers', () => {
  it('an answer with fewer vectors than inputs is retried as a server error', async () => {
    const short = {
      object: 'list',
      model: 'text-embedding-3-small',
      data: [{ object: 'embedding', index: 0, embedding: [0.1, 0.2] }],
      usage: { prompt_tokens: 1, total_tokens: 1 },
    };
    upstream().script('text-embedding-3-small', { body: short });
    const router = new Router({ modelList: [deployment(upstream(), 'e', 'text-embedding-3-small')], retryAfter: 0.01, cache: new Cache() });
    const res = await router.embedding({ model: 'e', input: ['one', 'two'] });
    expect(res.data).toHaveLength(2);
    expect(upstream().callCount({ model: 'text-embedding-3-small' })).toBe(2);
  });
});
