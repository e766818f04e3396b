// npm run demo: a router with two model groups in one caching group, on the in-memory cache.
// With no OPENAI_API_KEY it starts a local OpenAI-compatible server (about 400 ms an answer, like a
// real model); with one, it calls the OpenAI API.
import { Cache } from '@llmcache/core';
import { Router } from '@llmcache/router';
import { startUpstream } from '@llmcache/test-upstream';

const live = Boolean(process.env.OPENAI_API_KEY);
const upstream = live ? undefined : await startUpstream();
const models = live ? ['gpt-4o-mini', 'gpt-4.1-mini'] : ['gpt-3.5-turbo', 'gpt-4'];
for (const model of models) {
  upstream?.setLatency(model, 400);
  upstream?.setReply(model, `Repeated questions are answered from the cache: no paid call, no wait. (${model})`);
}
const apiBase = upstream?.openaiBase; // undefined: the OpenAI API

const cache = new Cache({ ttl: 3600 });
const router = new Router({
  modelList: [
    { modelName: 'fast', params: { model: `openai/${models[0]}`, apiBase } },
    { modelName: 'smart', params: { model: `openai/${models[1]}`, apiBase } },
  ],
  cachingGroups: [['fast', 'smart']],
  cache,
});

const messages = [{ role: 'user', content: 'In one sentence: why cache LLM answers?' }];
const ms = (res) => `${res._hiddenParams.latencyMs.toFixed(1).padStart(7)} ms`;
const show = (label, res, text) => console.log(`${label.padEnd(31)} ${res._hiddenParams.cacheHit ? 'HIT ' : 'MISS'} ${ms(res)}  ${text.slice(0, 90)}`);

console.log(live ? 'Calling the OpenAI API.' : `Local OpenAI-compatible server at ${upstream.url} (no keys needed).`);
console.log(`Model groups "fast" (${models[0]}) and "smart" (${models[1]}) share one caching group.\n`);

const miss = await router.completion({ model: 'fast', messages });
show('1. fast, first time', miss, miss.choices[0].message.content);

const hit = await router.completion({ model: 'fast', messages });
show('2. fast, same question', hit, hit.choices[0].message.content);

const shared = await router.completion({ model: 'smart', messages });
show('3. smart, same question', shared, shared.choices[0].message.content);

const stream = await router.completion({ model: 'smart', messages, stream: true });
let streamed = '';
let chunks = 0;
for await (const chunk of stream) {
  streamed += chunk.choices[0]?.delta.content ?? '';
  chunks++;
}
show(`4. smart, streamed (${chunks} chunks)`, stream, streamed);

const fresh = await router.completion({ model: 'smart', messages, cache: { 'no-cache': true } });
show('5. smart, cache: { no-cache }', fresh, fresh.choices[0].message.content);

const { hits, misses, writes, errors, hitRate } = cache.stats();
console.log(`\nCache stats: ${hits} hits, ${misses} misses, ${writes} writes, ${errors} errors, hit rate ${(hitRate * 100).toFixed(0)}%`);
if (upstream) {
  console.log(`Upstream was called ${upstream.callCount()} times for 5 requests.`);
  await upstream.close();
}
