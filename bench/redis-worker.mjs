// One router process of the Redis bench's single-flight case: 50 identical calls at once on "go".
import { Cache } from '@llmcache/core';
import { Router } from '@llmcache/router';

const { port, apiBase, namespace } = JSON.parse(process.argv[2]);
const cache = new Cache({ type: 'redis', port, namespace });
const router = new Router({ modelList: [{ modelName: 'gpt', params: { model: 'openai/gpt-4o', apiBase, apiKey: 'sk-bench' } }], cache });
await cache.ping();
process.stdout.write('ready\n');
process.stdin.once('data', async () => {
  const request = { model: 'gpt', messages: [{ role: 'user', content: 'one question for everyone' }] };
  await Promise.all(Array.from({ length: 50 }, () => router.completion(request)));
  await cache.close();
  process.exit(0);
});
