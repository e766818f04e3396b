import { cacheKey, CacheConfigError } from '@llmcache/core';
import { cacheKeyMaterial, canonicalJson } from '@llmcache/core/internal';

// Golden vectors: the canonical JSON is written out by hand and the hex is `printf '%s' JSON | sha256sum`,
// so these pin the documented algorithm, not whatever the code happens to do.
const GOLDEN = [
  {
    input: {
      callType: 'completion',
      model: 'gpt-3.5-turbo',
      params: { temperature: 0.2, messages: [{ role: 'user', content: 'Hello' }], top_p: 1e-7 },
    },
    json: '{"callType":"completion","model":"gpt-3.5-turbo","params":{"messages":[{"content":"Hello","role":"user"}],"temperature":0.2,"top_p":1e-7}}',
    key: '784e74f8e915283507e9e941334f7195fa3e164e73f923bde75d8446f84b0ed9',
  },
  {
    input: {
      callType: 'acompletion',
      model: 'cg:abc',
      namespace: 'prod',
      params: {
        stream: true,
        stream_options: { include_usage: true },
        apiKey: 'sk-secret',
        api_base: 'http://127.0.0.1:1/v1',
        timeout: 30,
        metadata: { trace: 'x' },
        cache: { ttl: 5 },
        top_k: 5,
        user: 'u1',
        messages: [{ role: 'user', content: 'héllo 😀' }],
        seed: 7,
        tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object', properties: {} } } }],
      },
    },
    json: '{"callType":"completion","model":"cg:abc","params":{"messages":[{"content":"héllo 😀","role":"user"}],"seed":7,"tools":[{"function":{"name":"f","parameters":{"properties":{},"type":"object"}},"type":"function"}],"top_k":5,"user":"u1"}}',
    key: 'prod:16dc2bfebe98a1bb30628adafe3aa84cc64907b3020e44eab2fe7a17c0392e46',
  },
  {
    input: { callType: 'embedding', model: 'text-embedding-3-small', params: { input: 'abc', dimensions: 256, encoding_format: undefined } },
    json: '{"callType":"embedding","model":"text-embedding-3-small","params":{"dimensions":256,"input":"abc"}}',
    key: '25f3ac17f0ef58e4ba5182f2389f04f504f0330cf4412142b841a91f297fc4a3',
  },
];

describe('cacheKey', () => {
  it.each(GOLDEN.map((g, i) => [i, g] as const))('matches golden vector %i', (_i, golden) => {
    expect(canonicalJson(cacheKeyMaterial(golden.input))).toBe(golden.json);
    expect(cacheKey(golden.input)).toBe(golden.key);
  });

  it('does not depend on object key order at any depth', () => {
    const a = cacheKey({
      callType: 'completion',
      model: 'm',
      params: {
        messages: [{ role: 'user', content: 'x' }],
        response_format: { type: 'json_schema', json_schema: { name: 'n', strict: true } },
        temperature: 0,
      },
    });
    const b = cacheKey({
      callType: 'completion',
      model: 'm',
      params: {
        temperature: 0,
        response_format: { json_schema: { strict: true, name: 'n' }, type: 'json_schema' },
        messages: [{ content: 'x', role: 'user' }],
      },
    });
    expect(a).toBe(b);
  });

  it('changes with every output-affecting param, including unknown provider params', () => {
    const base = { messages: [{ role: 'user', content: 'x' }] };
    const keyOf = (extra: Record<string, unknown>) => cacheKey({ callType: 'completion', model: 'm', params: { ...base, ...extra } });
    const variants = [
      {},
      { temperature: 0.5 },
      { seed: 1 },
      { tools: [{ type: 'function', function: { name: 'a' } }] },
      { tool_choice: 'auto' },
      { response_format: { type: 'json_object' } },
      { top_k: 40 },
      { num_ctx: 4096 },
      { user: 'alice' },
      { user: 'bob' },
    ];
    const keys = variants.map(keyOf);
    expect(new Set(keys).size).toBe(variants.length);
  });

  it('ignores transport and control params', () => {
    const plain = cacheKey({ callType: 'completion', model: 'm', params: { messages: [] } });
    const noisy = cacheKey({
      callType: 'completion',
      model: 'm',
      params: {
        messages: [],
        stream: true,
        stream_options: { include_usage: true },
        apiKey: 'k',
        apiBase: 'b',
        timeout: 1,
        numRetries: 3,
        metadata: {},
        cache: { 'no-cache': true },
      },
    });
    expect(noisy).toBe(plain);
  });

  it('separates call types, models and namespaces; treats a* aliases as their call type', () => {
    const params = { input: 'x' };
    expect(cacheKey({ callType: 'embedding', model: 'm', params })).not.toBe(cacheKey({ callType: 'completion', model: 'm', params }));
    expect(cacheKey({ callType: 'embedding', model: 'm', params })).not.toBe(cacheKey({ callType: 'embedding', model: 'n', params }));
    expect(cacheKey({ callType: 'aembedding', model: 'm', params })).toBe(cacheKey({ callType: 'embedding', model: 'm', params }));
    const ns = cacheKey({ callType: 'embedding', model: 'm', params, namespace: 'team-a' });
    expect(ns).toMatch(/^team-a:[0-9a-f]{64}$/);
    expect(ns.slice('team-a:'.length)).toBe(cacheKey({ callType: 'embedding', model: 'm', params }));
  });

  it('rejects an unknown call type or an empty model with a CacheConfigError naming the field', () => {
    expect(() => cacheKey({ callType: 'chat', model: 'm', params: {} })).toThrow(CacheConfigError);
    expect(() => cacheKey({ callType: 'chat', model: 'm', params: {} })).toThrow(/callType/);
    expect(() => cacheKey({ callType: 'completion', model: '', params: {} })).toThrow(/model/);
  });
});

describe('canonicalJson', () => {
  it('sorts keys, drops undefined members, prints numbers and strings as JSON does', () => {
    expect(canonicalJson({ b: 1, a: [undefined, 2.5, 1e21, -0], c: undefined, d: 'q"\n' })).toBe('{"a":[null,2.5,1e+21,0],"b":1,"d":"q\\"\\n"}');
    expect(canonicalJson({ z: { y: { x: 1, w: null } } })).toBe('{"z":{"y":{"w":null,"x":1}}}');
    expect(canonicalJson({ when: new Date(0) })).toBe('{"when":"1970-01-01T00:00:00.000Z"}');
  });
});
