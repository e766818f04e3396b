// A Redis that refuses us (a wrong password, or none where one is required) says so: in the cache's error
// events, in the router's warn log, in ping(), and for the router's shared state in a state event and health().
import { Cache } from '@llmcache/core';
import { RedisRouterState } from '@llmcache/redis';
import { Router } from '@llmcache/router';
import { startUpstream, type Upstream } from '@llmcache/test-upstream';
import { describeRedis, startStandalone, type RedisServer } from './servers';

let server: RedisServer & { close(): Promise<void> };
let upstream: Upstream;

beforeAll(async () => {
  [server, upstream] = await Promise.all([startStandalone(['--requirepass', 'right-password']), startUpstream()]);
});
afterAll(async () => {
  await upstream?.close();
  await server?.close();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
let run = 0;

/** A logger that keeps what it is given (pino's order: fields, then message). */
function recordingLogger() {
  const lines: { level: string; message: string; text: string }[] = [];
  const at = (level: string) => (fields: Record<string, unknown>, message: string) =>
    lines.push({ level, message, text: `${message} ${JSON.stringify(fields)}` });
  return { lines, logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') } };
}

const modelList = () => [{ modelName: 'gpt', params: { model: 'openai/gpt-4o', apiBase: upstream.openaiBase, apiKey: 'sk-test' } }];

describeRedis('a Redis that refuses our credentials', () => {
  for (const [label, password, code] of [
    ['a wrong password', 'wrong-password', 'WRONGPASS'],
    ['no password', undefined, 'NOAUTH'],
  ] as const) {
    it(`${label}: ${code} in error events, in the warn log and in ping()`, async () => {
      const cache = new Cache({ type: 'redis', port: server.port, password, operationTimeoutMs: 500, memoryTier: false, namespace: `auth-${run++}` });
      const errors: Error[] = [];
      cache.on('error', (e) => errors.push(e));
      const { lines, logger } = recordingLogger();
      const router = new Router({ modelList: modelList(), cache, logger });
      try {
        await router.completion({ model: 'gpt', messages: [{ role: 'user', content: 'refused' }] });
        expect(await cache.ping()).toBe(false);
        const messages = errors.map((e) => e.message);
        console.log(`${label}: cache errors: ${JSON.stringify(messages.slice(0, 3))}`);
        expect(messages.length).toBeGreaterThan(0);
        expect(messages.every((m) => m.includes(code))).toBe(true);
        const warns = lines.filter((l) => l.level === 'warn');
        expect(warns.length).toBeGreaterThan(0);
        expect(warns.every((l) => l.text.includes(code))).toBe(true);
      } finally {
        await router.close();
      }
    }, 30_000);
  }

  it('RedisRouterState names the refusal in a state event and says it is not shared', async () => {
    const state = new RedisRouterState({ port: server.port, password: 'wrong-password', prefix: `auth-${run++}` });
    const events: { shared: boolean; error?: Error }[] = [];
    state.on('state', (e) => events.push(e));
    try {
      for (let i = 0; i < 40 && events.length === 0; i++) await sleep(50);
      expect(events[0]).toMatchObject({ shared: false });
      expect(events[0]!.error?.message).toMatch(/WRONGPASS/);
      expect(state.shared).toBe(false);
    } finally {
      await state.close();
    }
  });

  it('new Router({ redis }) refused by Redis says so (warn log, error event) and health() reports the state is not shared', async () => {
    const { lines, logger } = recordingLogger();
    const router = new Router({ modelList: modelList(), redis: { port: server.port, password: 'wrong-password', prefix: `auth-${run++}` }, logger });
    const errors: Error[] = [];
    router.on('error', (e) => errors.push(e));
    const good = new Router({ modelList: modelList(), redis: { port: server.port, password: 'right-password', prefix: `auth-${run++}` } });
    try {
      for (let i = 0; i < 40 && errors.length === 0; i++) await sleep(50);
      console.log(
        `router refused by Redis: errors ${JSON.stringify(errors.map((e) => e.message))}, warn lines ${lines.filter((l) => l.level === 'warn').length}`,
      );
      expect(errors[0]?.message).toMatch(/WRONGPASS/);
      expect(lines.some((l) => l.level === 'warn' && l.text.includes('WRONGPASS'))).toBe(true);
      expect(router.health()).toMatchObject({ sharedState: false });
      for (let i = 0; i < 40 && !good.health().sharedState; i++) await sleep(50);
      expect(good.health()).toMatchObject({ sharedState: true });
      // Calls still work, on this process's own state.
      expect((await router.completion({ model: 'gpt', messages: [{ role: 'user', content: 'still routed' }] })).choices.length).toBe(1);
    } finally {
      await router.close();
      await good.close();
    }
  });
});
