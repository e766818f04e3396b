// `npm run bench`: every case as a ratio against a floor measured in the same run.
import { createHash } from 'node:crypto';
import { Cache, cacheKey, canonicalJson, cacheKeyMaterial } from '@llmcache/core';
import { chatRequest, chatResponse } from './fixtures.mjs';
import { measure, report, us } from './harness.mjs';

const { model, ...params } = chatRequest;
const keyInput = { callType: 'completion', model, params };

// Floor: the least any exact-match cache must do for a hit: hash the canonical request and look it up.
const floorMap = new Map();
const floorKey = createHash('sha256').update(canonicalJson(cacheKeyMaterial(keyInput))).digest('hex');
floorMap.set(floorKey, chatResponse);
const floor = await measure(() => {
  const key = createHash('sha256').update(canonicalJson(cacheKeyMaterial(keyInput))).digest('hex');
  return floorMap.get(key);
});

const cache = new Cache();
await cache.set(cacheKey(keyInput), chatResponse);
const cacheHit = await measure(async () => {
  const hit = await cache.get(cacheKey(keyInput));
  if (!hit) throw new Error('bench: expected a hit');
});

const rows = [
  { case: 'floor: sha256(canonical JSON) + Map.get', 'µs/op': us(floor.medianNs), 'ratio to floor': 1, target: '' },
  {
    case: 'memory hit through Cache (key + get + decode)',
    'µs/op': us(cacheHit.medianNs),
    'ratio to floor': Math.round((cacheHit.medianNs / floor.medianNs) * 100) / 100,
    target: '≤ 2',
  },
];
report('llmcache bench: 1 KB chat request, median of 15 rounds', rows);
