import { Cache, CacheConfigError, type CacheOptions } from '@llmcache/core';
import { QdrantSemanticBackend, type QdrantSemanticBackendOptions } from '@llmcache/qdrant';
import { thrown } from '@llmcache/test-suite';
import { PHRASES, TABLE, tableEmbedder } from './embedders';
import { startQdrant, type QdrantTestServer } from './qdrant-server';

const ENV_NAMES = ['QDRANT_URL', 'QDRANT_API_BASE', 'QDRANT_API_KEY'] as const;
const savedEnv = Object.fromEntries(ENV_NAMES.map((name) => [name, process.env[name]]));
let server: QdrantTestServer;
let secured: QdrantTestServer;

beforeAll(async () => {
  server = await startQdrant();
  secured = await startQdrant({ apiKey: 'secret-key' });
});
afterAll(async () => {
  await server.stop();
  await secured.stop();
});
beforeEach(() => ENV_NAMES.forEach((name) => delete process.env[name]));
afterEach(() => ENV_NAMES.forEach((name) => (savedEnv[name] === undefined ? delete process.env[name] : (process.env[name] = savedEnv[name]))));

/** The CacheConfigError `fn` throws, checked to name `option` with the package prefix. */
function configError(fn: () => unknown, option: string, pkg = 'qdrant'): CacheConfigError {
  const error = thrown(fn) as CacheConfigError;
  expect(error).toBeInstanceOf(CacheConfigError);
  expect(error.option).toBe(option);
  expect(error.message.startsWith(`[llmcache][${pkg}] ${option}: `)).toBe(true);
  return error;
}

const cacheOf = (options: CacheOptions) => new Cache({ type: 'qdrant-semantic', similarityThreshold: 0.9, ...options });

describe("new Cache({ type: 'qdrant-semantic' })", () => {
  it('builds a QdrantSemanticBackend from the qdrant* options', async () => {
    const cache = cacheOf({ qdrantApiBase: server.url, qdrantCollectionName: 'from-cache', qdrantSemanticCacheEmbeddingModel: 'my-embeddings' });
    expect(cache.backend).toBeInstanceOf(QdrantSemanticBackend);
    const backend = cache.backend as QdrantSemanticBackend;
    expect(backend.collectionName).toBe('from-cache');
    expect(backend.embeddingModel).toBe('my-embeddings');
    await cache.close();
  });

  it('takes the embedder option', async () => {
    const embedder = tableEmbedder(TABLE);
    const cache = cacheOf({ qdrantApiBase: server.url, qdrantCollectionName: 'embedder-from-cache', embedder });
    const backend = cache.backend as QdrantSemanticBackend;
    expect(backend.embeddingModel).toBeUndefined();
    await backend.setWithPrompt('k', PHRASES.capital, 'v', null, { scope: 'a' });
    expect(embedder.texts).toEqual([PHRASES.capital]);
    await cache.close();
  });

  it("embeds with 'text-embedding-ada-002' by default, as LiteLLM", async () => {
    const cache = cacheOf({ qdrantApiBase: server.url, qdrantCollectionName: 'default-model' });
    expect((cache.backend as QdrantSemanticBackend).embeddingModel).toBe('text-embedding-ada-002');
    await cache.close();
  });

  it('creates its collection with the quantization of qdrantQuantizationConfig', async () => {
    const cache = cacheOf({ qdrantApiBase: server.url, qdrantCollectionName: 'scalar-from-cache', qdrantQuantizationConfig: 'scalar' });
    const backend = cache.backend as QdrantSemanticBackend;
    backend.setEmbedder(tableEmbedder(TABLE));
    await backend.setWithPrompt('k', PHRASES.capital, 'v', null, { scope: 'a' });
    expect(server.calls(/^PUT \/collections\/scalar-from-cache$/)[0]!.body).toMatchObject({ quantization_config: { scalar: { type: 'int8' } } });
    await cache.close();
  });

  it('bounds each Qdrant request by operationTimeoutMs', async () => {
    const cache = cacheOf({ qdrantApiBase: server.url, qdrantCollectionName: 'timeout', operationTimeoutMs: 150 });
    server.delayMs = 2000;
    try {
      const started = Date.now();
      await expect((cache.backend as QdrantSemanticBackend).get('k')).rejects.toThrow(/retrieve failed/);
      expect(Date.now() - started).toBeLessThan(1000);
    } finally {
      server.delayMs = 0;
    }
    await cache.close();
  });

  it('rejects a missing or wrong option with a CacheConfigError naming it', () => {
    configError(() => cacheOf({ qdrantApiBase: server.url }), 'qdrantCollectionName');
    configError(() => cacheOf({ qdrantCollectionName: 'c' }), 'qdrantApiBase');
    expect(configError(() => cacheOf({ qdrantCollectionName: 'c' }), 'qdrantApiBase').message).toContain('QDRANT_URL / QDRANT_API_BASE');
    configError(() => cacheOf({ qdrantApiBase: 'localhost:6333', qdrantCollectionName: 'c' }), 'qdrantApiBase');
    configError(() => cacheOf({ qdrantApiBase: server.url, qdrantCollectionName: 'a/b' }), 'qdrantCollectionName');
    configError(
      () => cacheOf({ qdrantApiBase: server.url, qdrantCollectionName: 'c', qdrantQuantizationConfig: 'turbo' as 'binary' }),
      'qdrantQuantizationConfig',
      'core',
    );
    configError(() => cacheOf({ qdrantApiBase: server.url, qdrantCollectionName: 'c', operationTimeoutMs: -1 }), 'operationTimeoutMs', 'core');
  });
});

describe('QdrantSemanticBackend options', () => {
  const make = (options: QdrantSemanticBackendOptions) => () => new QdrantSemanticBackend({ qdrantApiBase: server.url, qdrantCollectionName: 'c', ...options });

  it('rejects a wrong option with a CacheConfigError naming it', () => {
    configError(make({ qdrantQuantizationConfig: 'turbo' as 'binary' }), 'qdrantQuantizationConfig');
    configError(make({ embedder: { notEmbed: true } as never }), 'embedder');
    configError(make({ embeddingModel: '' }), 'embeddingModel');
    configError(make({ qdrantApiKey: '' }), 'qdrantApiKey');
    configError(make({ timeoutMs: 0 }), 'timeoutMs');
    configError(make({ sweepIntervalMs: 2 ** 31 }), 'sweepIntervalMs');
    configError(make({ qdrantCollectionName: 'x'.repeat(256) }), 'qdrantCollectionName');
  });

  it('has no embeddingModel when an embedder is given (the router then supplies none)', () => {
    expect(make({ embedder: tableEmbedder(TABLE) })().embeddingModel).toBeUndefined();
    expect(make({ embedder: tableEmbedder(TABLE), embeddingModel: 'ignored' })().embeddingModel).toBeUndefined();
  });
});

describe('the environment, as LiteLLM reads it', () => {
  it('takes the URL from QDRANT_URL, else QDRANT_API_BASE, and the option over both', async () => {
    const stopped = await startQdrant();
    const closedUrl = stopped.url;
    await stopped.stop();
    process.env.QDRANT_API_BASE = closedUrl; // nothing listens there
    process.env.QDRANT_URL = server.url;
    const fromUrl = new QdrantSemanticBackend({ qdrantCollectionName: 'env' });
    expect(await fromUrl.ping()).toBe(true);
    delete process.env.QDRANT_URL;
    process.env.QDRANT_API_BASE = server.url;
    expect(await new QdrantSemanticBackend({ qdrantCollectionName: 'env' }).ping()).toBe(true);
    process.env.QDRANT_API_BASE = closedUrl;
    expect(await new QdrantSemanticBackend({ qdrantCollectionName: 'env', qdrantApiBase: server.url }).ping()).toBe(true);
    await expect(new QdrantSemanticBackend({ qdrantCollectionName: 'env' }).ping()).rejects.toThrow(/ping failed/);
  });

  it('sends the api-key from qdrantApiKey or QDRANT_API_KEY; a Qdrant that wants one refuses requests without it', async () => {
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined); // the client warns about a key over http
    try {
      const base = { qdrantApiBase: secured.url, qdrantCollectionName: 'secured', embedder: tableEmbedder(TABLE) };
      const keyless = new QdrantSemanticBackend(base);
      await expect(keyless.setWithPrompt('k', PHRASES.capital, 'v', null, { scope: 'a' })).rejects.toMatchObject({ status: 401 });
      const keyed = new QdrantSemanticBackend({ ...base, qdrantApiKey: 'secret-key' });
      await keyed.setWithPrompt('k', PHRASES.capital, 'v', null, { scope: 'a' });
      process.env.QDRANT_API_KEY = 'secret-key';
      expect(await new QdrantSemanticBackend(base).get('k')).toBe('v');
      expect(secured.requests.at(-1)).toMatchObject({ method: 'POST', path: '/collections/secured/points' });
    } finally {
      warn.mockRestore();
    }
  });
});
