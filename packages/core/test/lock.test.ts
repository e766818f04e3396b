import { Cache, MemoryBackend, type DistributedLock } from '@llmcache/core';

/** A lock with expiry and holder-only release, in one process: what SET NX PX with a token gives on Redis. */
class ExpiringLock implements DistributedLock {
  private readonly holders = new Map<string, { token: object; until: number }>();
  async acquire(key: string, ttlMs: number): Promise<(() => Promise<void>) | undefined> {
    const held = this.holders.get(key);
    if (held && held.until > Date.now()) return undefined;
    const token = {};
    this.holders.set(key, { token, until: Date.now() + ttlMs });
    return async () => {
      if (this.holders.get(key)?.token === token) this.holders.delete(key);
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

  it('a holder whose computation failed: its released lock goes to one waiter', async () => {
    const lock = new ExpiringLock();
    const caches = processes(4, lock);
    let calls = 0;
    const compute = async () => {
      const n = ++calls;
      await new Promise((resolve) => setTimeout(resolve, 50));
      if (n === 1) throw new Error('upstream failed');
      return 'second try';
    };
    const settled = await Promise.allSettled(caches.map((cache) => cache.wrap('k', compute, { control: cache.resolveControl('completion') })));
    expect(calls).toBe(2);
    expect(settled.filter((s) => s.status === 'rejected')).toHaveLength(1);
    expect(settled.filter((s) => s.status === 'fulfilled').map((s) => (s as PromiseFulfilledResult<{ value: string }>).value.value)).toEqual(
      Array(3).fill('second try'),
    );
  });
});
