import { runBackendConformance, runDualEntryCheck } from '@llmcache/test-suite';
import { QdrantSemanticBackend } from '@llmcache/qdrant';
import { hashEmbedder } from './embedders';
import { startQdrant, type QdrantTestServer } from './qdrant-server';

const api = { describe, it, beforeAll, afterAll };
let server: QdrantTestServer;

beforeAll(async () => {
  server = await startQdrant();
});
afterAll(() => server.stop());

runDualEntryCheck(api, '@llmcache/qdrant');
// Entries written by plain key only: the first write learns the vector size from the embedder.
runBackendConformance(api, {
  name: 'qdrant',
  create: () => new QdrantSemanticBackend({ qdrantApiBase: server.url, qdrantCollectionName: 'conformance', embedder: hashEmbedder() }),
  cacheOptions: { similarityThreshold: 0.9 },
});
