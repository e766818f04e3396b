import { runBackendConformance, runDualEntryCheck, runSemanticBackendConformance } from '@llmcache/test-suite';
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
// Entries by key only, in a collection that an entry with a prompt created (it gives the vector size).
runBackendConformance(api, {
  name: 'qdrant',
  create: async () => {
    const backend = new QdrantSemanticBackend({ qdrantApiBase: server.url, qdrantCollectionName: 'conformance', embedder: hashEmbedder() });
    await backend.setWithPrompt('collection-maker', 'any prompt', 'value', null, { scope: 'conformance' });
    return backend;
  },
});
// A store is a collection.
runSemanticBackendConformance(api, {
  name: 'qdrant',
  create: ({ store, embedder }) => new QdrantSemanticBackend({ qdrantApiBase: server.url, qdrantCollectionName: store, embedder }),
});
