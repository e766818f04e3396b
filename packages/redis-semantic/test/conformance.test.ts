import { runBackendConformance, runDualEntryCheck, runSemanticBackendConformance } from '@llmcache/test-suite';
import { RedisSemanticBackend } from '@llmcache/redis-semantic';
import { describeRedis, startStandalone, type RedisServer } from '../../redis/test/servers';
import { tableEmbedder } from './phrasings';

const api = { describe, it, beforeAll, afterAll };
let server: RedisServer & { close(): Promise<void> };

beforeAll(async () => {
  server = await startStandalone();
});
afterAll(async () => {
  await server?.close();
});

runDualEntryCheck(api, '@llmcache/redis-semantic');

describeRedis('on a standalone Redis', () => {
  // The exact-match part of the contract: a semantic backend is an ordinary backend first.
  runBackendConformance(api, { name: 'redis-semantic (standalone)', create: () => new RedisSemanticBackend({ port: server.port, embedder: tableEmbedder() }) });
  // A store is exact keys (prefix) and an index.
  runSemanticBackendConformance(api, {
    name: 'redis-semantic (standalone)',
    create: ({ store, embedder }) => new RedisSemanticBackend({ port: server.port, prefix: store, indexName: store, embedder }),
  });
});
