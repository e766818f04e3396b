// Semantic cases of `npm run bench`: the Redis semantic index of @llmcache/redis-semantic (LSH buckets in
// Redis sets, int8 re-ranking, exact cosine for the best few) with 100,000 cached prompts of 384-dimension
// vectors, on a redis-server this file starts. For each of two data sets (clustered vectors, and the same
// vectors sharing a dominant direction, as real embedding models' do): lookup latency (p50, p99), recall@1
// against brute-force cosine over the same vectors in process (also timed: the floor an index must beat),
// and the false-hit rate on unrelated prompts.
import { fileURLToPath } from 'node:url';
import { RedisSemanticBackend, seededGaussian } from '@llmcache/redis-semantic';
import { Redis } from 'ioredis';
import { startRedis } from './redis.mjs';

const DIM = 384;
const ENTRIES = 100_000;
const QUERIES = 400;
const UNRELATED = 200;
const SCOPE = '0123456789abcdef';

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
  const g = seededGaussian(42); // the same data in every run
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

async function runDataset(port, name, dominant, threshold) {
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

    // Lookups back to back (after a warm-up), timed; brute force afterwards, so that its scans of 150 MB
    // do not leave every timed lookup with cold caches.
    const latencies = [];
    const search = async (vector) => {
      const t = performance.now();
      const matches = await backend.index.search(vector, SCOPE, threshold);
      latencies.push(performance.now() - t);
      return matches[0];
    };
    for (const query of queries.slice(0, 50)) await backend.index.search(query, SCOPE, threshold);
    const found = [];
    for (const query of queries) found.push(await search(query));
    const unrelatedFound = [];
    for (const query of unrelated) unrelatedFound.push(await search(query));

    // recall@1: of the queries whose best stored entry reaches the threshold, the share the index answers with that entry.
    let agreed = 0;
    let truthAboveThreshold = 0;
    const bruteMs = [];
    queries.forEach((query, i) => {
      const t = performance.now();
      const truth = bruteForce(flat, query);
      bruteMs.push(performance.now() - t);
      if (truth.similarity < threshold) return;
      truthAboveThreshold++;
      if (found[i]?.key === `entry-${truth.index}`) agreed++;
    });
    const falseHits = unrelatedFound.filter(Boolean).length;
    let unrelatedBest = -Infinity;
    for (const query of unrelated) unrelatedBest = Math.max(unrelatedBest, bruteForce(flat, query).similarity);
    latencies.sort((a, b) => a - b);
    bruteMs.sort((a, b) => a - b);
    return {
      name,
      p50: percentile(latencies, 0.5),
      p99: percentile(latencies, 0.99),
      bruteP50: percentile(bruteMs, 0.5),
      recall: agreed / truthAboveThreshold,
      truthAboveThreshold,
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
    // Thresholds between a paraphrase (0.9; 0.96 with the shared direction) and a prompt of the same topic (0.5; 0.8).
    for (const [name, dominant, threshold] of [
      ['clustered', 0, 0.8],
      ['dominant-direction', 0.6, 0.9],
    ]) {
      const r = await runDataset(redis.port, name, dominant, threshold);
      rows.push(
        {
          case: `semantic index, ${name}: lookup p50 / p99 ms (brute force p50)`,
          'µs/op': `${ms(r.p50)} / ${ms(r.p99)} (${ms(r.bruteP50)})`,
          'ratio to floor': '',
          target: 'p50 ≤ 2 ms',
          result: r.p50 <= 2 ? 'ok' : 'MISSED',
        },
        {
          case: `semantic index, ${name}: recall@1 vs brute force (${r.truthAboveThreshold} queries whose best is ≥ ${threshold})`,
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
          result: '',
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
