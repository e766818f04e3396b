// `npm run bench`: every case as a ratio against a floor measured in the same run, and against
// LangChain.js doing the same cache hit in the same process; then Redis (bench/redis.mjs), the Redis
// semantic index over 100k prompts (bench/semantic.mjs), the disk backend's write cost as its table grows
// (bench/disk.mjs), and the object stores against their raw SDK calls (bench/object-stores.mjs).
import { InMemoryCache } from '@langchain/core/caches';
import { FakeListChatModel } from '@langchain/core/utils/testing';
import { Cache, cacheKey } from '@llmcache/core';
import { Router } from '@llmcache/router';
import { diskBench } from './disk.mjs';
import { chatRequest, chatResponse } from './fixtures.mjs';
import { compare, memoryHitFloor, ratioOf, report, us } from './harness.mjs';
import { objectStoresBench } from './object-stores.mjs';
import { redisBench } from './redis.mjs';
import { semanticBench } from './semantic.mjs';

const { model, ...params } = chatRequest;
const keyInput = { callType: 'completion', model, params };

const floorCase = memoryHitFloor(chatRequest, chatResponse);

// The same hit through Cache: key, lookup, envelope decode, expiry check, stats and events.
const cache = new Cache();
await cache.set(cacheKey(keyInput), chatResponse);
const cacheCase = async () => {
  if (!(await cache.get(cacheKey(keyInput)))) throw new Error('bench: expected a Cache hit');
};

// The same hit through router.completion(): request checks, group resolution, key, lookup, response object.
const router = new Router({
  modelList: [
    { modelName: 'gpt-3.5', params: { model: 'openai/gpt-3.5-turbo', mockResponse: chatResponse.choices[0].message.content } },
    { modelName: 'gpt-4', params: { model: 'openai/gpt-4', mockResponse: chatResponse.choices[0].message.content } },
  ],
  cachingGroups: [['gpt-3.5', 'gpt-4']],
  cache: new Cache(),
});
await router.completion(chatRequest);
const routerCase = async () => {
  const res = await router.completion(chatRequest);
  if (!res._hiddenParams.cacheHit) throw new Error('bench: expected a router hit');
};

// LangChain.js: a chat model with its InMemoryCache, asked the same 1 KB conversation. Without call
// options: with them it also serialises and sorts those, work our side does not do here.
const langchainModel = new FakeListChatModel({ responses: [chatResponse.choices[0].message.content], cache: new InMemoryCache() });
const langchainMessages = chatRequest.messages.map((m) => [m.role === 'user' ? 'human' : m.role, m.content]);
await langchainModel.invoke(langchainMessages);
const langchainCase = () => langchainModel.invoke(langchainMessages);

// Picking a deployment among 50 of one group (simple-shuffle, weighted by rpm).
const wide = new Router({
  modelList: Array.from({ length: 50 }, (_, i) => ({ modelName: 'wide', params: { model: `openai/m-${i}`, rpm: 100 + i } })),
});
const pickCase = () => wide.getAvailableDeployment('wide');

const { floor, cacheHit, routerHit, langchainHit, pick } = await compare({
  floor: floorCase,
  cacheHit: cacheCase,
  routerHit: routerCase,
  langchainHit: langchainCase,
  pick: pickCase,
});
const cacheRatio = ratioOf(cacheHit, floor);
const routerRatio = ratioOf(routerHit, floor);
const langchainOverRouter = ratioOf(langchainHit, routerHit);

const rows = [
  { case: 'floor: safe-stable-stringify + crypto.hash sha256 + Map.get', 'µs/op': us(floor.medianNs), 'ratio to floor': 1, target: '', result: '' },
  {
    case: 'memory hit through Cache.get',
    'µs/op': us(cacheHit.medianNs),
    'ratio to floor': cacheRatio,
    target: '≤ 2× floor',
    result: cacheRatio <= 2 ? 'ok' : 'MISSED',
  },
  {
    case: 'memory hit through router.completion()',
    'µs/op': us(routerHit.medianNs),
    'ratio to floor': routerRatio,
    target: '≤ 2× floor',
    result: routerRatio <= 2 ? 'ok' : 'MISSED',
  },
  {
    case: 'LangChain.js hit (InMemoryCache, fake chat model)',
    'µs/op': us(langchainHit.medianNs),
    'ratio to floor': ratioOf(langchainHit, floor),
    target: `router ≥ 2.5× faster (is ${langchainOverRouter}×)`,
    result: langchainOverRouter >= 2.5 ? 'ok' : 'MISSED',
  },
  {
    case: 'router pick among 50 deployments',
    'µs/op': us(pick.medianNs),
    'ratio to floor': ratioOf(pick, floor),
    target: '≤ 10 µs',
    result: pick.medianNs <= 10_000 ? 'ok' : 'MISSED',
  },
];
rows.push(...(await redisBench()), ...(await semanticBench()), ...(await diskBench()), ...(await objectStoresBench()));
report(
  `llmcache bench: hits of a ${JSON.stringify(chatRequest).length}-byte chat request (median of 21 interleaved rounds), Redis, the semantic index over 100k prompts, disk write cost over 100k entries, and object stores against their SDK`,
  rows,
);
