import { createServer, type Server } from 'node:http';
import { Cache, CacheBackendError, TieredBackend } from '@llmcache/core';
import { LENGTH_METADATA } from '@llmcache/core/internal';
import { AzureBlobBackend } from '@llmcache/azure-blob';
import { Router } from '@llmcache/router';
import { ACCOUNT, ACCOUNT_KEY, startAzurite, startHangingServer, useAzuriteAndUpstream } from './servers';

const servers = useAzuriteAndUpstream();

const ask = (content: string) => ({ model: 'gpt', messages: [{ role: 'user' as const, content }] });

function routerWith(cache: Cache): Router {
  return new Router({ modelList: [{ modelName: 'gpt', params: { model: 'openai/gpt-4o', apiBase: servers.upstream.openaiBase, apiKey: 'sk-test' } }], cache });
}

function errorsOf(cache: Cache): CacheBackendError[] {
  const errors: CacheBackendError[] = [];
  cache.on('error', (err) => errors.push(err));
  return errors;
}

describe('a slow or failing Azure is a miss, never a failed call', () => {
  it('an endpoint that never answers: each call goes upstream within the operation timeout', async () => {
    const hanging = await startHangingServer();
    const azureConnectionString = `DefaultEndpointsProtocol=http;AccountName=${ACCOUNT};AccountKey=${ACCOUNT_KEY};BlobEndpoint=${hanging.url};`;
    const cache = new Cache({ type: 'azure-blob', azureConnectionString, azureBlobContainer: 'hangs', operationTimeoutMs: 300 });
    const errors = errorsOf(cache);
    const router = routerWith(cache);
    try {
      for (const content of ['first', 'second']) {
        const started = Date.now();
        const res = await router.completion(ask(content));
        expect(res._hiddenParams.cacheHit).toBe(false);
        expect(res.choices[0]!.message.content).toContain(content);
        // One lookup and one write, each bounded by 300 ms, plus the upstream call.
        expect(Date.now() - started).toBeLessThan(1_500);
      }
      expect(servers.upstream.callCount({ model: 'gpt-4o' })).toBe(2);
      expect(hanging.connections()).toBeGreaterThan(0);
      expect(errors.map((e) => e.operation)).toEqual(expect.arrayContaining(['get', 'set']));
      expect(cache.backend).toBeInstanceOf(TieredBackend);
      expect(await cache.ping()).toBe(false); // through the memory tier, which asks Azure
    } finally {
      await router.close();
      await hanging.close();
    }
  });

  it('a server that sends the headers and then stalls the body is abandoned too', async () => {
    // Answers every download with a 200, its metadata and half a body, then nothing more.
    const stalled: Server = createServer((req, res) => {
      res.writeHead(200, { 'content-length': '100', 'x-ms-meta-llmcachelength': '100', 'x-ms-blob-type': 'BlockBlob', etag: '"0x1"' });
      res.write('{"v":1,'.padEnd(50, ' '));
    });
    await new Promise<void>((resolve) => stalled.listen(0, '127.0.0.1', resolve));
    const { port } = stalled.address() as { port: number };
    const backend = new AzureBlobBackend({
      azureAccountUrl: `http://127.0.0.1:${port}/devstoreaccount1`,
      azureAccountKey: ACCOUNT_KEY,
      azureBlobContainer: 'stalls',
      requestTimeoutMs: 300,
    });
    try {
      const started = Date.now();
      await expect(backend.get('k')).rejects.toBeDefined();
      expect(Date.now() - started).toBeLessThan(1_500);
    } finally {
      await backend.close();
      stalled.closeAllConnections();
      await new Promise((resolve) => stalled.close(resolve));
    }
  });

  it('a stopped azurite: calls go upstream and report errors; once it is back, the cache works again', async () => {
    const own = await startAzurite();
    // A long timeout, so that only the retry policy can make a refused connection a quick miss.
    const cache = new Cache({
      type: 'azure-blob',
      azureConnectionString: own.connectionString,
      azureBlobContainer: 'stops',
      memoryTier: false,
      operationTimeoutMs: 10_000,
    });
    const errors = errorsOf(cache);
    const router = routerWith(cache);
    try {
      expect((await router.completion(ask('before')))._hiddenParams.cacheHit).toBe(false);
      expect((await router.completion(ask('before')))._hiddenParams.cacheHit).toBe(true);
      await own.stop();
      const started = Date.now();
      const down = await router.completion(ask('while down'));
      // One quick retry of each refused request, not the SDK's default of four tries seconds apart.
      expect(Date.now() - started).toBeLessThan(2_000);
      expect(down._hiddenParams.cacheHit).toBe(false);
      expect(down.choices[0]!.message.content).toContain('while down');
      expect(errors.map((e) => e.operation)).toEqual(['get', 'set']);
      expect(await cache.ping()).toBe(false);
      await own.start(); // empty again: the emulator kept its blobs in memory
      expect((await router.completion(ask('after')))._hiddenParams.cacheHit).toBe(false);
      expect((await router.completion(ask('after')))._hiddenParams.cacheHit).toBe(true);
      expect(servers.upstream.callCount({ model: 'gpt-4o' })).toBe(3);
    } finally {
      await router.close();
      await own.close();
    }
  });
});

describe('blobs as Azure holds them', () => {
  const backendFor = (azurePath: string, memoryTier = false) =>
    new Cache({ type: 'azure-blob', azureConnectionString: servers.azurite.connectionString, azureBlobContainer: 'blobs', azurePath, memoryTier });

  async function blobNames(prefix: string): Promise<string[]> {
    const names: string[] = [];
    for await (const blob of servers.azurite.container('blobs').listBlobsFlat({ prefix })) names.push(blob.name);
    return names.sort();
  }

  it('a blob cut short behind our back (its length metadata kept) is a reported miss, and is removed', async () => {
    const cache = backendFor('partial');
    const errors = errorsOf(cache);
    const backend = cache.backend as AzureBlobBackend;
    await cache.set('k', { answer: 'a long enough answer' });
    const blob = servers.azurite.container('blobs').getBlockBlobClient(backend.objectName('k'));
    const { metadata } = await blob.getProperties();
    const whole = (await blob.downloadToBuffer()).toString();
    expect(metadata![LENGTH_METADATA]).toBe(String(whole.length));
    // Still valid JSON, so only the length check can tell.
    const cut = Buffer.from(whole.replace('a long enough answer', 'a long'));
    await blob.upload(cut, cut.length, { metadata });
    expect(await cache.get('k')).toBeUndefined();
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message).toMatch(/partial/);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await blob.exists()).toBe(false);
    await cache.close();
  });

  it('writes each value whole with its metadata, under azurePath/namespace/hash', async () => {
    const cache = backendFor('team/llm');
    await cache.set('tenant-a:0123abcd', { n: 1 }, { ttlMs: 60_000 });
    expect(await blobNames('team/')).toEqual(['team/llm/tenant-a/0123abcd']);
    const blob = servers.azurite.container('blobs').getBlockBlobClient('team/llm/tenant-a/0123abcd');
    const properties = await blob.getProperties();
    expect(properties.blobType).toBe('BlockBlob');
    expect(properties.contentType).toBe('application/json; charset=utf-8');
    expect(Number(properties.metadata!.llmcacheexpiresat)).toBeGreaterThan(Date.now());
    await cache.close();
  });

  it('a hostile namespace stays inside azurePath', async () => {
    const cache = backendFor('jail');
    for (const namespace of ['..', '../..', '%2E%2E', 'a/b', '.']) await cache.set(`${namespace}:0123abcd`, 'x');
    const inside = await blobNames('jail/');
    expect(inside).toHaveLength(5);
    for (const name of inside) expect(name.split('/')).toHaveLength(3);
    expect(await blobNames('')).toEqual(expect.not.arrayContaining(['0123abcd']));
    for (const namespace of ['..', '../..', '%2E%2E', 'a/b', '.']) expect((await cache.get(`${namespace}:0123abcd`))?.value).toBe('x');
    await cache.close();
  });

  it('an expired blob is never served and is removed when met', async () => {
    const cache = backendFor('expiry');
    await cache.set('k', 'short-lived', { ttlMs: 100 });
    expect(await blobNames('expiry/')).toEqual(['expiry/k']);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await cache.get('k')).toBeUndefined();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await blobNames('expiry/')).toEqual([]);
    await cache.close();
  });
});
