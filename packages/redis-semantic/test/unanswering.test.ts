// A Redis that accepts connections and never answers costs the semantic cache one bounded delay, not
// one per request: it shares @llmcache/redis's connection guards (the breaker lives there, once).
import { Cache } from '@llmcache/core';
import { RedisSemanticBackend } from '@llmcache/redis-semantic';
import { startSilentListener } from '../../redis/test/proxy';
import { describeRedis } from '../../redis/test/servers';
import { CAPITAL, CAPITAL_PARAPHRASE, tableEmbedder } from './phrasings';

describeRedis('redis-semantic on a Redis that never answers', () => {
  it('costs one bounded delay, then goes past Redis at once', async () => {
    const timeoutMs = 300;
    const silent = await startSilentListener();
    const backend = new RedisSemanticBackend({ port: silent.port, commandTimeoutMs: timeoutMs, embedder: tableEmbedder() });
    const cache = new Cache({ backend, similarityThreshold: 0.85, operationTimeoutMs: 2000 });
    cache.on('error', () => undefined);
    try {
      const ms: number[] = [];
      for (let i = 0; i < 8; i++) {
        const started = Date.now();
        // What one call does on a miss: a read, a lookup by prompt, a write with the prompt.
        expect(await cache.get(`k${i}`)).toBeUndefined();
        await backend.findSimilar(CAPITAL_PARAPHRASE, { scope: 's', threshold: 0.85 }).catch(() => undefined);
        await backend.setWithPrompt(`k${i}`, CAPITAL, 'v', null, { scope: 's' }).catch(() => undefined);
        ms.push(Date.now() - started);
      }
      console.log(`never-answering Redis, redis-semantic: read + lookup + write took ${ms.join(', ')} ms`);
      expect(ms[0]).toBeLessThan(timeoutMs * 2 + 500);
      expect(Math.max(...ms.slice(1))).toBeLessThan(50);
    } finally {
      await cache.close();
      await silent.close();
    }
  });
});
