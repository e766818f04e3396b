import { RateLimitError, Router } from '@llmcache/router';
import { ask, deployment, useUpstream } from './helpers';

const upstream = useUpstream();

async function tally(router: Router, group: string, n: number): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const d = await router.getAvailableDeployment(group);
    counts[d.model] = (counts[d.model] ?? 0) + 1;
  }
  return counts;
}

describe('routing strategies', () => {
  it('simple-shuffle follows weight, else rpm, else uniform', async () => {
    const weighted = new Router({ modelList: [deployment(upstream(), 'g', 'heavy', { weight: 9 }), deployment(upstream(), 'g', 'light', { weight: 1 })] });
    const w = await tally(weighted, 'g', 4000);
    expect(w['openai/heavy']! / 4000).toBeGreaterThan(0.85);
    expect(w['openai/heavy']! / 4000).toBeLessThan(0.95);
    const byRpm = new Router({ modelList: [deployment(upstream(), 'g', 'big', { rpm: 300 }), deployment(upstream(), 'g', 'small', { rpm: 100 })] });
    const r = await tally(byRpm, 'g', 4000);
    expect(r['openai/big']! / 4000).toBeGreaterThan(0.7);
    expect(r['openai/big']! / 4000).toBeLessThan(0.8);
    const uniform = new Router({ modelList: [deployment(upstream(), 'g', 'u1'), deployment(upstream(), 'g', 'u2')] });
    const u = await tally(uniform, 'g', 4000);
    expect(u['openai/u1']! / 4000).toBeGreaterThan(0.45);
    expect(u['openai/u1']! / 4000).toBeLessThan(0.55);
  });

  it('least-busy sends a call to the deployment with fewest in flight', async () => {
    // Five rounds: a random pick would send the second call to the busy deployment half the time.
    for (let round = 0; round < 5; round++) {
      upstream().reset();
      upstream().setLatency('busy-1', 200);
      upstream().setLatency('busy-2', 200);
      const router = new Router({ modelList: [deployment(upstream(), 'g', 'busy-1'), deployment(upstream(), 'g', 'busy-2')], routingStrategy: 'least-busy' });
      const first = router.completion({ model: 'g', messages: ask(`first ${round}`) });
      await new Promise((resolve) => setTimeout(resolve, 30));
      await router.completion({ model: 'g', messages: ask(`second ${round}`) });
      await first;
      expect(upstream().calls[1]!.model).not.toBe(upstream().calls[0]!.model);
    }
  });

  it('latency-based routing prefers the faster deployment after trying each', async () => {
    upstream().setLatency('fast', 5);
    upstream().setLatency('slow', 150);
    const router = new Router({
      modelList: [deployment(upstream(), 'g', 'fast'), deployment(upstream(), 'g', 'slow')],
      routingStrategy: 'latency-based-routing',
    });
    for (let i = 0; i < 12; i++) await router.completion({ model: 'g', messages: ask(`lat ${i}`) });
    expect(upstream().callCount({ model: 'slow' })).toBe(1);
    expect(upstream().callCount({ model: 'fast' })).toBe(11);
  });

  it('latency-based routing shares load between near-ties', async () => {
    // 150 ms each: scheduling noise of a few ms stays well inside the 10 % buffer.
    upstream().setLatency('twin-1', 150);
    upstream().setLatency('twin-2', 150);
    const router = new Router({
      modelList: [deployment(upstream(), 'g', 'twin-1'), deployment(upstream(), 'g', 'twin-2')],
      routingStrategy: 'latency-based-routing',
    });
    for (let i = 0; i < 16; i++) await router.completion({ model: 'g', messages: ask(`tie ${i}`) });
    expect(upstream().callCount({ model: 'twin-1' })).toBeGreaterThan(2);
    expect(upstream().callCount({ model: 'twin-2' })).toBeGreaterThan(2);
  });

  it('usage-based routing skips a deployment at its rpm and fails with 429 when all are at limit', async () => {
    const router = new Router({
      modelList: [deployment(upstream(), 'g', 'two-rpm', { rpm: 2 }), deployment(upstream(), 'g', 'one-rpm', { rpm: 1 })],
      routingStrategy: 'usage-based-routing',
      numRetries: 0,
    });
    for (let i = 0; i < 3; i++) await router.completion({ model: 'g', messages: ask(`u${i}`) });
    expect(upstream().callCount({ model: 'two-rpm' })).toBe(2);
    expect(upstream().callCount({ model: 'one-rpm' })).toBe(1);
    const err = await router.completion({ model: 'g', messages: ask('u4') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RateLimitError);
    expect(upstream().callCount()).toBe(3);
  });

  it('usage-based routing counts tokens against tpm', async () => {
    const router = new Router({
      modelList: [deployment(upstream(), 'g', 'tiny-tpm', { tpm: 30 }), deployment(upstream(), 'g', 'big-tpm', { tpm: 100000 })],
      routingStrategy: 'usage-based-routing',
    });
    for (let i = 0; i < 10; i++) await router.completion({ model: 'g', messages: ask(`a somewhat longer question number ${i} to use tokens`) });
    expect(upstream().callCount({ model: 'tiny-tpm' })).toBeLessThanOrEqual(2);
    expect(upstream().callCount({ model: 'big-tpm' })).toBeGreaterThanOrEqual(8);
  });
});

describe('usage-based routing under concurrency', () => {
  it('concurrent calls cannot all slip under an rpm limit', async () => {
    upstream().setLatency('limited', 100);
    const router = new Router({
      modelList: [deployment(upstream(), 'g', 'limited', { rpm: 3 })],
      routingStrategy: 'usage-based-routing',
      numRetries: 0,
    });
    const settled = await Promise.allSettled(Array.from({ length: 6 }, (_, i) => router.completion({ model: 'g', messages: ask(`burst ${i}`) })));
    expect(settled.filter((s) => s.status === 'fulfilled')).toHaveLength(3);
    expect(settled.filter((s) => s.status === 'rejected').every((s) => s.reason instanceof RateLimitError)).toBe(true);
    expect(upstream().callCount()).toBe(3);
  });
});

describe('latency-based routing and failures', () => {
  it('a deployment that only fails is not preferred as untried: calls go to the healthy one', async () => {
    const router = new Router({
      modelList: [deployment(upstream(), 'g', 'broken'), deployment(upstream(), 'g', 'healthy')],
      routingStrategy: 'latency-based-routing',
      allowedFails: 1000,
      numRetries: 1,
      retryAfter: 0.01,
    });
    upstream().script('broken', ...Array.from({ length: 20 }, () => ({ status: 500 })));
    for (let i = 0; i < 8; i++) await router.completion({ model: 'g', messages: ask(`l${i}`) });
    expect(upstream().callCount({ model: 'broken' })).toBeLessThanOrEqual(1);
  });
});
