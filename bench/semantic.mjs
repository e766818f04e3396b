// Semantic cases of `npm run bench`: the Redis semantic index of @llmcache/redis-semantic (LSH buckets in
// Redis sets, int8 re-ranking, exact cosine for the best few) with 100,000 cached prompts of 384-dimension
// vectors, on a redis-server this file starts. For each of two data sets (clustered vectors, and the same
// vectors sharing a dominant direction, as real embedding models' do): lookup latency (p50, p99), recall@1
// against brute-force cosine over the same vectors in process (also timed: the floor an index must beat),
// and the false-hit rate on unrelated prompts.
import { fileURLToPath } from 'node:url';
import { RedisSemanticBackend } from '@llmcache/redis-semantic';
import { Redis } from 'ioredis';
import { startRedis } from './redis.mjs';

const DIM = 384;
const ENTRIES = 100_000;
const QUERIES = 400;
const UNRELATED = 200;
const THRESHOLD = 0.9;
const SCOPE = '0123456789abcdef';

/** Seeded normal values (mulberry32 + Box-Muller): the same data in every run. */
function gaussian(seed) {
  let a = seed >>> 0;
  const uniform = () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(uniform() || 1e-12)) * Math.cos(2 * Math.PI * uniform());
}

const unit = (v) => {
  let n = 0;
  for (const x of v) n += x * x;
  n = Math.sqrt(n);
  return v.map((x) => x / n);
};

/**
 * 1,000 topics of 100 prompts each (cosine ~0.5 within a topic, ~0 across); each query is a paraphrase of
 * one stored prompt (cosine 0.9 to it) and each unrelated prompt a fresh direction. With `dominant`, every
 * vector is mixed with one shared direction (weight² = `dominant`), so unrelated prompts score ~0.6 and a
 * paraphrase ~0.96, as with real embedding models.
 */
function dataset(dominant) {
  const g = gaussian(42);
  const random = () => unit(Float64Array.from({ length: DIM }, g));
  const toward = (a, b, c) => unit(a.map((x, i) => c * x + Math.sqrt(1 - c * c) * b[i]));
  const direction = random();
  const wrap = (y) => (dominant ? unit(y.map((x, i) => Math.sqrt(1 - dominant) * x + Math.sqrt(dominant) * direction[i])) : y);
  const topics = Array.from({ length: 1000 }, random);
  const base = Array.from({ length: ENTRIES }, (_, i) => toward(topics[i % topics.length], random(), Math.sqrt(0.5)));
  const stored = base.map(wrap);
  const queries = Array.from({ length: QUERIES }, (_, i) => wrap(toward(base[(i * 7919) % ENTRIES], random(), 0.9)));
  const unrelated = Array.from({ length: UNRELATED }, () => wrap(random()));
  return { stored, queries, unrelated };
}

/** The best stored entry by exact cosine, scanning every vector: what the index must agree with. */
function bruteForce(flat, query) {
  let best = -Infinity;
  let index = -1;
  for (let i = 0, o = 0; i < ENTRIES; i++, o += DIM) {
    let s = 0;
    for (let j = 0; j < DIM; j++) s += flat[o + j] * query[j];
    if (s > best) {
      best = s;
      index = i;
    }
  }
  return { index, similarity: best };
}

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];

async function runDataset(port, name, dominant) {
  const { stored, queries, unrelated } = dataset(dominant);
  const flat = new Float32Array(ENTRIES * DIM);
  stored.forEach((v, i) => flat.set(v, i * DIM));
  const admin = new Redis({ port });
  await admin.flushall();
  const before = Number(/used_memory:(\d+)/.exec(await admin.info('memory'))[1]);
  const backend = new RedisSemanticBackend({ port, prefix: 'bench', indexName: name, commandTimeoutMs: 30_000 });
  try {
    const loadStarted = performance.now();
    await backend.index.addMany(stored.map((vector, i) => ({ key: `entry-${i}`, vector, scopeId: SCOPE, ttlMs: null })));
    const loadSeconds = (performance.now() - loadStarted) / 1000;
    const after = Number(/used_memory:(\d+)/.exec(await admin.info('memory'))[1]);

    const latencies = [];
    const search = async (vector) => {
      const t = performance.now();
      const matches = await backend.index.search(vector, SCOPE, THRESHOLD);
      latencies.push(performance.now() - t);
      return matches[0];
    };
    let agreed = 0;
    let truthAboveThreshold = 0;
    const bruteMs = [];
    for (const query of queries) {
      const found = await search(query);
      const t = performance.now();
      const truth = bruteForce(flat, query);
      bruteMs.push(performance.now() - t);
      if (truth.similarity >= THRESHOLD) truthAboveThreshold++;
      if (found?.key === `entry-${truth.index}`) agreed++;
    }
    let falseHits = 0;
    let unrelatedBest = -Infinity;
    for (const query of unrelated) {
      if (await search(query)) falseHits++;
      unrelatedBest = Math.max(unrelatedBest, bruteForce(flat, query).similarity);
    }
    latencies.sort((a, b) => a - b);
    bruteMs.sort((a, b) => a - b);
    return {
      name,
      p50: percentile(latencies, 0.5),
      p99: percentile(latencies, 0.99),
      bruteP50: percentile(bruteMs, 0.5),
      recall: agreed / queries.length,
      truthAboveThreshold: truthAboveThreshold / queries.length,
      falseHits: falseHits / unrelated.length,
      unrelatedBest,
      loadSeconds,
      bytesPerEntry: Math.round((after - before) / ENTRIES),
    };
  } finally {
    await backend.close();
    await admin.quit();
  }
}

const ms = (v) => Math.round(v * 100) / 100;

export async function semanticBench() {
  const redis = await startRedis();
  try {
    const rows = [];
    for (const [name, dominant] of [['clustered', 0], ['dominant-direction', 0.6]]) {
      const r = await runDataset(redis.port, name, dominant);
      const ok = r.p50 <= 2 && r.recall >= 0.97 && r.falseHits === 0;
      rows.push(
        {
          case: `semantic index, ${name}: lookup p50 / p99 ms (brute force p50)`,
          'µs/op': `${ms(r.p50)} / ${ms(r.p99)} (${ms(r.bruteP50)})`,
          'ratio to floor': '',
          target: 'p50 ≤ 2 ms',
          result: r.p50 <= 2 ? 'ok' : 'MISSED',
        },
        {
          case: `semantic index, ${name}: recall@1 vs brute force (queries whose best is ≥ ${THRESHOLD}: ${r.truthAboveThreshold})`,
          'µs/op': r.recall,
          'ratio to floor': '',
          target: '≥ 0.97',
          result: r.recall >= 0.97 ? 'ok' : 'MISSED',
        },
        {
          case: `semantic index, ${name}: false hits on unrelated prompts (their best cosine: ${ms(r.unrelatedBest)})`,
          'µs/op': r.falseHits,
          'ratio to floor': '',
          target: '0',
          result: r.falseHits === 0 ? 'ok' : 'MISSED',
        },
        {
          case: `semantic index, ${name}: load of 100k entries (s), Redis bytes per entry`,
          'µs/op': `${ms(r.loadSeconds)} s, ${r.bytesPerEntry} B`,
          'ratio to floor': '',
          target: '',
          result: ok ? '' : '',
        },
      );
    }
    return rows;
  } finally {
    await redis.stop();
  }
}

// Run on its own: node bench/semantic.mjs
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { report } = await import('./harness.mjs');
  report('llmcache semantic index bench', await semanticBench());
}
