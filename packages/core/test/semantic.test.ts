import { Cache, CacheConfigError, messagesText, PromptVectors, semanticQuery } from '@llmcache/core';
import { validateCacheOptions } from '@llmcache/core/internal';

describe('messagesText: the text a semantic cache embeds', () => {
  it('writes every message with its role, the text of multi-part content, tool calls and tool answers', () => {
    const text = messagesText([
      { role: 'system', content: 'Be brief.' },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is in' },
          { type: 'text', text: 'this picture?' },
          { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } },
        ],
      },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'lookup', arguments: '{"q":"cat"}' } }] },
      { role: 'tool', tool_call_id: 'call_1', name: 'lookup', content: 'a cat' },
      { role: 'assistant', content: '', function_call: { name: 'legacy', arguments: '{}' } },
    ]);
    expect(text).toBe(
      [
        'system: Be brief.',
        'user: What is in this picture? [image_url]',
        'assistant: lookup({"q":"cat"})',
        'tool (lookup): a cat',
        'assistant: legacy({})',
      ].join('\n'),
    );
  });

  it('never throws on odd shapes', () => {
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    const odd: unknown[] = [
      undefined,
      null,
      42,
      'plain',
      { role: 5, content: { nested: true } },
      { content: [null, 7, 'word', { type: 'text' }] },
      { role: 'assistant', tool_calls: [null, 'x', { function: { name: 'f', arguments: { a: 1 } } }] },
      { role: 'user', content: circular },
    ];
    expect(() => messagesText(odd)).not.toThrow();
    expect(messagesText(odd).split('\n')).toHaveLength(odd.length);
    expect(messagesText('just a string')).toBe('just a string');
    expect(messagesText(undefined)).toBe('');
    expect(() => messagesText(circular)).not.toThrow();
  });
});

describe('semanticQuery: what must match besides the meaning', () => {
  const base = { callType: 'completion', model: 'gpt', params: { messages: [{ role: 'user', content: 'hi' }], temperature: 0 } };

  it('has one scope for every wording, and another for another model, call type or output-affecting param', () => {
    const q = semanticQuery(base)!;
    expect(q.prompt).toBe('user: hi');
    expect(semanticQuery({ ...base, params: { ...base.params, messages: [{ role: 'user', content: 'hello there' }] } })!.scope).toBe(q.scope);
    expect(semanticQuery({ ...base, params: { ...base.params, timeout: 3, metadata: { a: 1 }, stream: true } })!.scope).toBe(q.scope);
    expect(semanticQuery({ ...base, callType: 'acompletion' })!.scope).toBe(q.scope);
    expect(semanticQuery({ ...base, model: 'other' })!.scope).not.toBe(q.scope);
    expect(semanticQuery({ ...base, params: { ...base.params, temperature: 1 } })!.scope).not.toBe(q.scope);
    expect(semanticQuery({ ...base, namespace: 'ns' })).toMatchObject({ scope: q.scope, namespace: 'ns' });
  });

  it('keeps non-text parts in the scope, so the same words about another picture never match', () => {
    const withImage = (url: string) =>
      semanticQuery({
        ...base,
        params: {
          messages: [
            {
              role: 'user',
              content: [
                { type: 'text', text: 'hi' },
                { type: 'image_url', image_url: { url } },
              ],
            },
          ],
        },
      })!;
    expect(withImage('a.png').prompt).toBe(withImage('b.png').prompt);
    expect(withImage('a.png').scope).not.toBe(withImage('b.png').scope);
    expect(withImage('a.png').scope).toBe(withImage('a.png').scope);
  });

  it('serves text completions by prompt, and nothing else', () => {
    expect(semanticQuery({ callType: 'text_completion', model: 'm', params: { prompt: 'Once upon a time' } })!.prompt).toBe('Once upon a time');
    expect(semanticQuery({ callType: 'embedding', model: 'm', params: { input: 'x' } })).toBeUndefined();
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(semanticQuery({ ...base, params: { ...base.params, extra: circular } })).toBeUndefined();
  });
});

describe('PromptVectors', () => {
  it('answers unit vectors, learns their length from the first, and embeds a prompt once', async () => {
    const calls: string[][] = [];
    const vectors = new PromptVectors('test', async (texts) => (calls.push([...texts]), texts.map((t) => (t === 'short' ? [1, 2] : [3, 4, 0]))));
    expect([...(await vectors.vector('a'))]).toEqual([0.6, 0.8, 0]);
    expect(vectors.dimension).toBe(3);
    await Promise.all([vectors.vector('b'), vectors.vector('b'), vectors.vector('a')]);
    expect(calls).toEqual([['a'], ['b']]);
    await expect(vectors.vector('short')).rejects.toThrow('[test] the embedder answered a vector of 2 dimensions after 3');
  });

  it('names what is wrong with an answer that is not a vector', async () => {
    const answering = (answer: unknown) => new PromptVectors('test', { embed: async () => answer as number[][] });
    await expect(answering([[0, 0]]).vector('x')).rejects.toThrow('zero vector');
    await expect(answering([[]]).vector('x')).rejects.toThrow('empty vector');
    await expect(answering([[1, Number.NaN]]).vector('x')).rejects.toThrow('holding NaN');
    await expect(answering({}).vector('x')).rejects.toThrow('not a list of vectors');
    await expect(answering([]).vector('x')).rejects.toThrow('no vector');
    await expect(new PromptVectors('test').vector('x')).rejects.toThrow('no embedder');
  });
});

describe('semantic cache options', () => {
  it('need a threshold in (0, 1] for the semantic types, valkey-semantic included', () => {
    for (const type of ['redis-semantic', 'valkey-semantic', 'qdrant-semantic'] as const) {
      expect(() => validateCacheOptions({ type })).toThrow(/similarityThreshold: is required/);
    }
    expect(() => new Cache({ type: 'valkey-semantic', similarityThreshold: 1.2 })).toThrow(CacheConfigError);
  });

  it('check embedder and qdrantQuantizationConfig', () => {
    expect(() => validateCacheOptions({ embedder: 'text-embedding-3-small' })).toThrow(/embedder: must be an Embedder/);
    expect(() => new Cache({ embedder: async () => [[1]] })).toThrow(
      /embedder: is for semantic cache types \(redis-semantic, valkey-semantic, qdrant-semantic\), not local/,
    );
    expect(() => validateCacheOptions({ qdrantQuantizationConfig: 'int4' })).toThrow(/'binary', 'scalar' or 'product'/);
    expect(validateCacheOptions({ qdrantQuantizationConfig: 'scalar' })).toEqual({ qdrantQuantizationConfig: 'scalar' });
  });
});
