import { startUpstream, type Upstream } from '@llmcache/test-upstream';
import { Router, type CompletionRequestNonStreaming, type FunctionToolCall, type ModelListEntry, type ToolCall } from '@llmcache/router';

/** Starts one local upstream for a test file and resets it between tests. */
export function useUpstream(): () => Upstream {
  let upstream: Upstream | undefined;
  beforeAll(async () => {
    upstream = await startUpstream();
  });
  afterEach(() => upstream?.reset());
  afterAll(async () => {
    await upstream?.close();
  });
  return () => {
    if (!upstream) throw new Error('upstream not started');
    return upstream;
  };
}

/** A deployment of an OpenAI-compatible model on the local upstream. */
export function deployment(upstream: Upstream, modelName: string, model: string, extra: Record<string, unknown> = {}): ModelListEntry {
  return { modelName, params: { model: `openai/${model}`, apiBase: upstream.openaiBase, apiKey: 'sk-test', ...extra } };
}

export const ask = (content: string) => [{ role: 'user' as const, content }];

/** A request as a JavaScript caller may send it: params the types do not declare, or of another type. */
export function fromJavaScript(request: Record<string, unknown>): CompletionRequestNonStreaming {
  return request as object as CompletionRequestNonStreaming;
}

/** An answer's tool call, which the test expects to be a function call (the type allows a custom tool's too). */
export function functionCall(call: ToolCall | undefined): FunctionToolCall {
  if (call?.type !== 'function') throw new Error(`expected a function tool call, got ${JSON.stringify(call)}`);
  return call;
}

export async function collect<T>(stream: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of stream) out.push(item);
  return out;
}

export function fragileRouter(upstream: Upstream, extra: Record<string, unknown> = {}) {
  const router = new Router({
    modelList: [deployment(upstream, 'g', 'dep-a'), deployment(upstream, 'g', 'dep-b')],
    allowedFails: 0,
    cooldownTime: 60,
    retryAfter: 0.01,
    ...extra,
  });
  const cooldowns: string[] = [];
  router.on('cooldown', (e) => cooldowns.push(e.deploymentId));
  return { router, cooldowns };
}

/** The error a call rejects with; fails the test if the call resolves. */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected the call to reject');
    },
    (err: unknown) => err,
  );
}
