import { Cache, MemoryBackend, type DistributedLock, type LockRelease } from '@llmcache/core';

/**
 * A lock with expiry and holder-only release, in one process: what RedisLock gives on Redis, the "no value
 * coming" mark of a holder that stored nothing included.
 */
class ExpiringLock implements DistributedLock {
  private readonly holders = new Map<string, { token: object | 'no-value'; until: number }>();
  async acquire(key: string, ttlMs: number): Promise<LockRelease | undefined | 'no-value'> {
    const held = this.holders.get(key);
    if (held && held.until > Date.now()) return held.token === 'no-value' ? 'no-value' : undefined;
    const token = {};
    this.holders.set(key, { token, until: Date.now() + ttlMs });
    return async (outcome) => {
      if (this.holders.get(key)?.token !== token) return;
      if (outcome?.stored === false) this.holders.set(key, { token: 'no-value', until: Date.now() + 2000 });
      else this.holders.delete(key);
    };
  }
}

/** Several caches on one store and one lock, as several processes on one Redis would be. */
function processes(n: number, lock: DistributedLock) {
  const backend = new MemoryBackend();
  return Array.from({ length: n }, () => new Cache({ backend, lock, lockWaitMs: 2000 }));
}

describe('cross-process single-flight when the lock holder goes away', () => {
  it('a holder that died: once its lock expires, one waiter computes, not every waiter', async () => {
    const lock = new ExpiringLock();
    await lock.acquire('k', 300); // taken by a process that then died
    let computed = 0;
    const compute = async () => {
      computed++;
      await new Promise((resolve) => setTimeout(resolve, 50));
      return 'answer';
    };
    const caches = processes(5, lock);
    const results = await Promise.all(caches.map((cache) => cache.wrap('k', compute, { control: cache.resolveControl('completion') })));
    expect(computed).toBe(1);
    expect(results.map((r) => r.value)).toEqual(Array(5).fill('answer'));
  });

  it('a holder whose computation failed: every waiter computes at once, not one after another', async () => {
    const lock = new ExpiringLock();
    const caches = processes(4, lock);
    let calls = 0;
    const compute = async () => {
      const n = ++calls;
      await new Promise((resolve) => setTimeout(resolve, 500));
      if (n === 1) throw new Error('upstream failed');
      return 'second try';
    };
    const started = Date.now();
    const settled = await Promise.allSettled(caches.map((cache) => cache.wrap('k', compute, { control: cache.resolveControl('completion') })));
    const ms = Date.now() - started;
    expect(calls).toBe(4);
    expect(settled.filter((s) => s.status === 'rejected')).toHaveLength(1);
    // One failure (500 ms), then the three waiters side by side (500 ms), not in turns (4 × 500 ms).
    console.log('4 caches, failing holder, finished after (ms):', ms);
    expect(ms).toBeLessThan(1800);
  });

  it('calls that store nothing (no-store) take no lock and never wait for each other', async () => {
    const lock = new ExpiringLock();
    const caches = processes(4, lock);
    let calls = 0;
    const compute = async () => {
      calls++;
      await new Promise((resolve) => setTimeout(resolve, 300));
      return 'fresh';
    };
    const started = Date.now();
    await Promise.all(caches.map((cache) => cache.wrap('k', compute, { control: cache.resolveControl('completion', { 'no-store': true }) })));
    expect(calls).toBe(4);
    expect(Date.now() - started).toBeLessThan(800);
  });

  it('a waiter stops waiting at its own timeoutMs, not at lockWaitMs', async () => {
    const lock = new ExpiringLock();
    await lock.acquire('k', 60_000); // held by a process that died
    const [cache] = processes(1, lock);
    const started = Date.now();
    const result = await cache!.wrap('k', async () => 'mine', { control: cache!.resolveControl('completion'), timeoutMs: 300 });
    expect(result.value).toBe('mine');
    expect(Date.now() - started).toBeLessThan(1000); // lockWaitMs is 2 s here
  });
});
