import { startUpstream, type Upstream } from '@llmcache/test-upstream';
import type { ModelListEntry } from '@llmcache/router';

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

export async function collect<T>(stream: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of stream) out.push(item);
  return out;
}
