import { Cache, MemoryBackend } from '@llmcache/core';

// Reads are served from parsed copies of recent entries: each read must still be the caller's alone.
describe('every read gets its own copy', () => {
  it('changing a value read from the cache changes nothing another read sees', async () => {
    const cache = new Cache();
    await cache.set('k', { choices: [{ message: { content: 'original', tool_calls: [{ id: 'a' }] } }], usage: { total: 3 } });
    const first = (await cache.get<any>('k'))!.value;
    first.choices[0].message.content = 'changed';
    first.choices[0].message.tool_calls.push({ id: 'b' });
    first.usage.total = 99;
    first.extra = true;
    const second = (await cache.get<any>('k'))!.value;
    expect(second).toEqual({ choices: [{ message: { content: 'original', tool_calls: [{ id: 'a' }] } }], usage: { total: 3 } });
    expect(second).not.toBe(first);
  });

  it('keeps a "__proto__" member an own key, never a prototype', async () => {
    const cache = new Cache();
    const value = JSON.parse('{"a":{"__proto__":{"polluted":true},"b":1}}');
    await cache.set('k', value);
    for (let i = 0; i < 2; i++) {
      const read = (await cache.get<any>('k'))!.value;
      expect(Object.getPrototypeOf(read.a)).toBe(Object.prototype);
      expect(read.a.polluted).toBeUndefined();
      expect(Object.keys(read.a)).toEqual(['__proto__', 'b']);
      expect(JSON.stringify(read)).toBe('{"a":{"__proto__":{"polluted":true},"b":1}}');
    }
  });

  it('an entry damaged after it was read once is still found damaged', async () => {
    const backend = new MemoryBackend();
    const cache = new Cache({ backend });
    await cache.set('k', { ok: 1 });
    expect((await cache.get('k'))?.value).toEqual({ ok: 1 });
    backend.set('k', backend.get('k')!.slice(0, 10), null);
    const errors: unknown[] = [];
    cache.on('error', (e) => errors.push(e));
    expect(await cache.get('k')).toBeUndefined();
    expect(errors).toHaveLength(1);
  });
});
