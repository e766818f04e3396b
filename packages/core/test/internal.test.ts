import * as core from '@llmcache/core';
import * as internal from '@llmcache/core/internal';
import { runDualEntryCheck } from '@llmcache/test-suite';

runDualEntryCheck({ describe, it, beforeAll, afterAll }, '@llmcache/core/internal');

describe('@llmcache/core/internal', () => {
  it('holds the helpers for our own packages, which the main entry no longer exports', () => {
    for (const name of [
      'describeValue',
      'sleep',
      'isThenable',
      'encodeEntry',
      'decodeEntry',
      'objectNameOf',
      'EXPIRES_AT_METADATA',
      'untilAborted',
      'SingleFlight',
    ]) {
      expect(internal).toHaveProperty(name);
      expect(core).not.toHaveProperty(name);
    }
  });

  it('shares one copy of every class with the main entry', () => {
    expect(() => internal.requireOption('core', 'x', undefined)).toThrow(core.CacheConfigError);
  });
});

describe('untilAborted', () => {
  const { untilAborted } = internal;

  it('settles as the promise does, without a signal or while it has not fired', async () => {
    await expect(untilAborted(Promise.resolve(1), undefined)).resolves.toBe(1);
    await expect(untilAborted(Promise.resolve(2), new AbortController().signal)).resolves.toBe(2);
    await expect(untilAborted(Promise.reject(new Error('boom')), new AbortController().signal)).rejects.toThrow('boom');
  });

  it("rejects with the signal's reason when it fires first, or has already fired", async () => {
    const controller = new AbortController();
    const pending = untilAborted(new Promise(() => {}), controller.signal);
    controller.abort(new Error('stop'));
    await expect(pending).rejects.toThrow('stop');
    await expect(untilAborted(new Promise(() => {}), AbortSignal.abort(new Error('already')))).rejects.toThrow('already');
  });

  it('keeps observing the work, so that its later failure is no unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      let fail!: (err: Error) => void;
      const work = new Promise<never>((_, reject) => (fail = reject));
      await expect(untilAborted(work, AbortSignal.abort(new Error('gone')))).rejects.toThrow('gone');
      fail(new Error('late'));
      await new Promise((resolve) => setImmediate(resolve));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
