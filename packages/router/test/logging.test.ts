import { Cache, type CacheBackend } from '@llmcache/core';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Router, RouterConfigError, type RouterLogger } from '@llmcache/router';
import { ask, deployment, useUpstream } from './helpers';

const upstream = useUpstream();
const run = promisify(execFile);

const SECRET = 'sk-secret-12345';

interface Line {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  fields: Record<string, any>;
}

/** A logger that keeps every line, called the way pino is: fields first, then the message. */
function capture(): RouterLogger & { lines: Line[]; find(message: string): Line[] } {
  const lines: Line[] = [];
  const at = (level: Line['level']) => (fields: Record<string, unknown>, message: string) => lines.push({ level, message, fields });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), find: (message) => lines.filter((l) => l.message === message) };
}

/** Runs a script in a child node process with the router's package resolvable; resolves to its stderr. */
async function childStderr(script: string, env: Record<string, string>): Promise<string> {
  const childEnv: Record<string, string | undefined> = { ...process.env, ...env };
  if (!('LLMCACHE_LOG' in env)) delete childEnv.LLMCACHE_LOG;
  const { stderr } = await run(process.execPath, ['-e', script], { cwd: join(__dirname, '..'), env: childEnv, timeout: 20_000, encoding: 'utf8' });
  return stderr;
}

/** A store that is down: every read and write throws. */
function brokenBackend(): CacheBackend {
  const down = () => {
    throw new Error('connection refused');
  };
  return { name: 'broken', get: down, set: down, delete: down };
}

describe('the logger option', () => {
  it('logs the routing decision and the cache miss and hit, with the key the call used', async () => {
    const logger = capture();
    const router = new Router({ modelList: [deployment(upstream(), 'a', 'model-a')], cache: new Cache(), logger });
    const miss = await router.completion({ model: 'a', messages: ask('hello') });
    const hit = await router.completion({ model: 'a', messages: ask('hello') });
    expect(logger.find('routed')).toEqual([
      {
        level: 'debug',
        message: 'routed',
        fields: { modelGroup: 'a', deploymentId: miss._hiddenParams.deploymentId, model: 'model-a', strategy: 'simple-shuffle', attempt: 1 },
      },
    ]);
    expect(logger.find('cache miss')).toEqual([
      {
        level: 'debug',
        message: 'cache miss',
        fields: { key: miss._hiddenParams.cacheKey, callType: 'completion', modelGroup: 'a', hit: false, sharedFlight: false },
      },
    ]);
    expect(logger.find('cache hit')).toEqual([
      {
        level: 'debug',
        message: 'cache hit',
        fields: { key: hit._hiddenParams.cacheKey, callType: 'completion', modelGroup: 'a', hit: true, sharedFlight: false },
      },
    ]);
    expect(hit._hiddenParams.cacheKey).toBe(miss._hiddenParams.cacheKey);
    await router.close();
  });

  it('logs embedding lookups with their keys, and a stream miss', async () => {
    const logger = capture();
    const router = new Router({ modelList: [deployment(upstream(), 'e', 'embed-model'), deployment(upstream(), 'a', 'model-a')], cache: new Cache(), logger });
    const first = await router.embedding({ model: 'e', input: 'one' });
    const both = await router.embedding({ model: 'e', input: ['one', 'two'] });
    const stream = await router.completion({ model: 'a', messages: ask('streamed'), stream: true });
    for await (const _ of stream) void _;
    expect(logger.find('cache miss').map((l) => l.fields)).toEqual([
      { key: first._hiddenParams.cacheKey, callType: 'embedding', modelGroup: 'e', hit: false, sharedFlight: false, hits: 0 },
      {
        keys: [first._hiddenParams.cacheKey, router.cacheKey({ model: 'e', input: 'two' })],
        callType: 'embedding',
        modelGroup: 'e',
        hit: false,
        sharedFlight: false,
        hits: 1,
      },
      { key: stream._hiddenParams.cacheKey, callType: 'completion', modelGroup: 'a', hit: false, sharedFlight: false },
    ]);
    expect(both._hiddenParams.cacheHit).toBe(false);
    await router.close();
  });

  it('logs a retry after a 500 with the attempt, delay and error class and status, and the failure', async () => {
    const logger = capture();
    const router = new Router({ modelList: [deployment(upstream(), 'a', 'model-a')], retryAfter: 0.01, logger });
    upstream().script('model-a', { status: 500, message: 'upstream exploded' });
    const res = await router.completion({ model: 'a', messages: ask('retry me') });
    const id = res._hiddenParams.deploymentId;
    expect(logger.find('failure')).toEqual([
      {
        level: 'warn',
        message: 'failure',
        fields: {
          modelGroup: 'a',
          deploymentId: id,
          callType: 'completion',
          latencyMs: expect.any(Number),
          error: { name: 'InternalServerError', status: 500, message: expect.stringContaining('upstream exploded') },
        },
      },
    ]);
    expect(logger.find('retry')).toEqual([
      {
        level: 'info',
        message: 'retry',
        fields: {
          modelGroup: 'a',
          deploymentId: id,
          attempt: 1,
          delayMs: 10,
          error: { name: 'InternalServerError', status: 500, message: expect.stringContaining('upstream exploded') },
        },
      },
    ]);
    expect(logger.find('routed').map((l) => l.fields.attempt)).toEqual([1, 2]);
    await router.close();
  });

  it('logs cooldowns with the deployment, until and failures, and the fallback', async () => {
    const logger = capture();
    const router = new Router({
      modelList: [deployment(upstream(), 'primary', 'down-a'), deployment(upstream(), 'primary', 'down-b'), deployment(upstream(), 'backup', 'up-model')],
      numRetries: 3,
      retryAfter: 0.01,
      allowedFails: 0,
      cooldownTime: 30,
      fallbacks: [{ primary: ['backup'] }],
      logger,
    });
    upstream().script('down-a', { status: 500 });
    upstream().script('down-b', { status: 500 });
    const before = Date.now();
    const res = await router.completion({ model: 'primary', messages: ask('fall back') });
    expect(res._hiddenParams.modelGroup).toBe('backup');
    const cooldowns = logger.find('cooldown');
    expect(cooldowns).toHaveLength(2);
    for (const line of cooldowns) {
      expect(line.level).toBe('warn');
      expect(line.fields).toMatchObject({ modelGroup: 'primary', failures: 1, error: { name: 'InternalServerError', status: 500 } });
      expect(Date.parse(line.fields.until) - before).toBeGreaterThanOrEqual(30_000);
    }
    expect(new Set(cooldowns.map((l) => l.fields.deploymentId)).size).toBe(2);
    expect(logger.find('fallback')).toEqual([
      {
        level: 'info',
        message: 'fallback',
        fields: { from: 'primary', to: 'backup', error: expect.objectContaining({ name: 'InternalServerError', status: 500 }) },
      },
    ]);
    expect(logger.lines.filter((l) => l.message === 'routed').at(-1)!.fields).toMatchObject({ modelGroup: 'backup', model: 'up-model' });
    await router.close();
  });

  it("logs the cache's errors as warnings, and the call still succeeds", async () => {
    const logger = capture();
    const router = new Router({ modelList: [deployment(upstream(), 'a', 'model-a')], cache: new Cache({ backend: brokenBackend() }), logger });
    const res = await router.completion({ model: 'a', messages: ask('cache down') });
    expect(res._hiddenParams.cacheHit).toBe(false);
    const errors = logger.find('cache error');
    expect(errors.length).toBeGreaterThanOrEqual(1);
    expect(errors[0]).toMatchObject({
      level: 'warn',
      fields: {
        backend: 'broken',
        operation: 'get',
        key: res._hiddenParams.cacheKey,
        error: { name: 'CacheBackendError', message: expect.stringContaining('connection refused') },
      },
    });
    await router.close();
  });

  it('takes console and any object with the four methods; anything else is a RouterConfigError naming logger', async () => {
    const modelList = [deployment(upstream(), 'a', 'model-a')];
    await new Router({ modelList, logger: console }).close();
    for (const bad of [{}, 'yes', null, { debug() {}, info() {}, warn() {} }]) {
      const err = (() => {
        try {
          new Router({ modelList, logger: bad as unknown as RouterLogger });
        } catch (e) {
          return e;
        }
      })();
      expect(err).toBeInstanceOf(RouterConfigError);
      expect(err).toMatchObject({ option: 'logger' });
      expect((err as Error).message).toMatch(/logger: must be an object with debug, info, warn and error methods/);
    }
  });

  it('a logger that throws never fails a call', async () => {
    const boom = () => {
      throw new Error('logger is broken');
    };
    const router = new Router({
      modelList: [deployment(upstream(), 'a', 'model-a'), deployment(upstream(), 'b', 'model-b')],
      numRetries: 1,
      retryAfter: 0.01,
      fallbacks: [{ a: ['b'] }],
      cache: new Cache(),
      logger: { debug: boom, info: boom, warn: boom, error: boom },
    });
    upstream().script('model-a', { status: 500 }, { status: 500 });
    const first = await router.completion({ model: 'a', messages: ask('despite the logger') });
    expect(first._hiddenParams.modelGroup).toBe('b');
    const again = await router.completion({ model: 'b', messages: ask('despite the logger') });
    expect(again._hiddenParams.cacheHit).toBe(true);
    await router.close();
  });
});

describe('secrets never reach a log line', () => {
  it('scrubs API keys and bearer tokens from every line, including provider messages that echo them', async () => {
    const logger = capture();
    const router = new Router({
      modelList: [
        { modelName: 'a', params: { model: 'openai/model-a', apiBase: upstream().openaiBase, apiKey: SECRET } },
        { modelName: 'b', params: { model: 'openai/model-b', apiBase: upstream().openaiBase, apiKey: 'plainsecretvalue' } },
      ],
      numRetries: 1,
      retryAfter: 0.01,
      cache: new Cache(),
      logger,
    });
    upstream().script(
      'model-a',
      { status: 500, message: `overloaded for Authorization: Bearer ${SECRET}` },
      { status: 401, message: `Incorrect API key provided: ${SECRET}` },
    );
    upstream().script('model-b', { status: 401, message: 'bad key plainsecretvalue, also key-abcdef123456' });
    const headers = { authorization: `Bearer ${SECRET}` };
    const err = await router.completion({ model: 'a', messages: ask('secret'), headers }).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'AuthenticationError', status: 401 });
    await router.completion({ model: 'b', messages: ask('other') }).catch(() => undefined);
    await router.completion({ model: 'a', messages: ask('secret'), headers });
    await router.completion({ model: 'a', messages: ask('secret'), headers });
    // The upstream did get the key: the lines below were written about calls that carried it.
    expect(
      upstream()
        .calls.filter((c) => c.model === 'model-a')
        .every((c) => c.headers.authorization === `Bearer ${SECRET}`),
    ).toBe(true);
    const text = logger.lines.map((l) => `${l.message} ${JSON.stringify(l.fields)}`);
    expect(new Set(logger.lines.map((l) => l.message))).toEqual(new Set(['routed', 'failure', 'retry', 'cache miss', 'cache hit']));
    expect(text.filter((t) => t.includes(SECRET) || t.includes('plainsecretvalue') || t.includes('key-abcdef123456'))).toEqual([]);
    const messages = logger.find('failure').map((l) => l.fields.error.message as string);
    expect(messages).toEqual([
      expect.stringContaining('overloaded for Authorization: Bearer ***'),
      expect.stringContaining('Incorrect API key provided: ***'),
      expect.stringContaining('bad key ***, also ***'),
    ]);
    await router.close();
  });
});

describe('LLMCACHE_LOG', () => {
  const script = (base: string) => `
    const { Router } = require('@llmcache/router');
    const { Cache } = require('@llmcache/core');
    (async () => {
      const router = new Router({
        modelList: [{ modelName: 'a', params: { model: 'openai/child-model', apiBase: ${JSON.stringify(base)}, apiKey: ${JSON.stringify(SECRET)} } }],
        retryAfter: 0.01, numRetries: 1, cache: new Cache(),
      });
      const headers = { authorization: 'Bearer ${SECRET}' };
      await router.completion({ model: 'a', messages: [{ role: 'user', content: 'x' }], headers }).catch(() => {});
      await router.completion({ model: 'a', messages: [{ role: 'user', content: 'y' }], headers });
      await router.completion({ model: 'a', messages: [{ role: 'user', content: 'y' }], headers });
      await router.close();
    })().catch((e) => { console.error('child failed', e); process.exit(1); });`;

  it('=debug writes one line per event to stderr, scrubbed; unset writes nothing; =warn only warnings', async () => {
    const base = upstream().openaiBase;
    const scriptSteps = () =>
      upstream().script('child-model', { status: 500, message: `echo ${SECRET}` }, { status: 401, message: `Incorrect API key provided: ${SECRET}` });
    scriptSteps();
    const debug = await childStderr(script(base), { LLMCACHE_LOG: 'debug' });
    const lines = debug.trimEnd().split('\n');
    for (const line of lines) expect(line).toMatch(/^\[llmcache\] (debug|info|warn|error) [a-z ]+ \{.*\}$/);
    const messages = lines.map((line) =>
      line
        .split(' ')
        .slice(1, -1)
        .join(' ')
        .replace(/ \{.*$/, ''),
    );
    expect(messages).toEqual(expect.arrayContaining(['debug routed', 'warn failure', 'info retry', 'debug cache miss', 'debug cache hit']));
    const hit = lines.find((l) => l.startsWith('[llmcache] debug cache hit '))!;
    expect(JSON.parse(hit.slice('[llmcache] debug cache hit '.length))).toMatchObject({
      key: expect.stringMatching(/^[0-9a-f]{64}$/),
      callType: 'completion',
      modelGroup: 'a',
      hit: true,
    });
    expect(debug).toContain('Incorrect API key provided: ***');
    expect(debug).not.toContain(SECRET);

    upstream().reset();
    scriptSteps();
    expect(await childStderr(script(base), {})).toBe('');

    upstream().reset();
    scriptSteps();
    const warn = (await childStderr(script(base), { LLMCACHE_LOG: 'WARN' })).trimEnd().split('\n');
    expect(warn.length).toBeGreaterThanOrEqual(2);
    for (const line of warn) expect(line).toMatch(/^\[llmcache\] warn failure \{.*\}$/);
    expect(warn.join('\n')).not.toContain(SECRET);
  });

  it('an unknown level is a RouterConfigError naming LLMCACHE_LOG', () => {
    const saved = process.env.LLMCACHE_LOG;
    process.env.LLMCACHE_LOG = 'verbose';
    try {
      expect(() => new Router({ modelList: [deployment(upstream(), 'a', 'model-a')] })).toThrow(
        expect.objectContaining({
          name: 'RouterConfigError',
          option: 'LLMCACHE_LOG',
          message: expect.stringContaining('must be one of debug, info, warn, error'),
        }),
      );
    } finally {
      if (saved === undefined) delete process.env.LLMCACHE_LOG;
      else process.env.LLMCACHE_LOG = saved;
    }
  });
});

describe('a LiteLLM config and the log', () => {
  it('set_verbose: true logs at debug, and every ignored key is said once at load with its reason', async () => {
    const yaml = [
      'model_list:',
      '  - model_name: a',
      '    litellm_params: { model: openai/model-a, mock_response: hi }',
      'litellm_settings:',
      '  set_verbose: true',
      '  success_callback: ["langfuse"]',
      'general_settings:',
      '  alerting: ["slack"]',
    ].join('\n');
    const script = `
      const { Router } = require('@llmcache/router');
      const router = Router.fromConfig(${JSON.stringify(yaml)});
      router.completion({ model: 'a', messages: [{ role: 'user', content: 'x' }] }).then(() => router.close());
    `;
    const lines = (await childStderr(script, {})).trimEnd().split('\n');
    const ignored = lines
      .filter((l) => l.startsWith('[llmcache] info config key ignored '))
      .map((l) => JSON.parse(l.slice('[llmcache] info config key ignored '.length)));
    expect(ignored).toEqual([
      { path: 'litellm_settings.success_callback', reason: 'callbacks are not supported; use router.on(...)' },
      { path: 'general_settings.alerting', reason: expect.stringContaining('proxy feature') },
    ]);
    expect(lines.some((l) => l.startsWith('[llmcache] debug routed '))).toBe(true);
  });
});
