import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MAX_TIMER_MS } from '@llmcache/core';
import { BadRequestError, completion, Router, RouterConfigError, translateLiteLLMConfig, type ModelListEntry } from '@llmcache/router';
import { isHeaderName, isHeaderValue } from '../src/headers';
import { ask, deployment, useUpstream } from './helpers';
import { thrown } from '@llmcache/test-suite';

const upstream = useUpstream();

function expectConfigError(fn: () => unknown, option: string, message?: RegExp): RouterConfigError {
  const err = thrown(fn);
  expect(err).toBeInstanceOf(RouterConfigError);
  expect((err as RouterConfigError).option).toBe(option);
  if (message) expect((err as Error).message).toMatch(message);
  return err as RouterConfigError;
}

const offline = (params: Record<string, unknown> = {}): ModelListEntry[] => [
  { modelName: 'm', params: { model: 'openai/gpt-4o', apiBase: 'http://127.0.0.1:9/v1', ...params } },
];

/** A LiteLLM config with one deployment, as the parsed object `translateLiteLLMConfig` takes. */
function liteLLMConfig(litellmParams: object = {}, sections: Record<string, unknown> = {}): Record<string, unknown> {
  return { model_list: [{ model_name: 'm', litellm_params: { model: 'openai/gpt-4o', ...litellmParams } }], ...sections };
}

const MAX_TIMER_SECONDS = MAX_TIMER_MS / 1000;

describe('names that are Object.prototype members', () => {
  it.each(['constructor', 'toString', 'hasOwnProperty'])('new Router({ %s }) is not a Router option', (name) => {
    expectConfigError(() => new Router({ modelList: offline(), [name]: 1 }), name, /is not a Router option/);
  });

  it('an own __proto__ key is not a Router option', () => {
    const options = Object.assign(JSON.parse('{"__proto__": {"timeout": 1}}') as object, { modelList: offline() });
    expectConfigError(() => new Router(options), '__proto__', /is not a Router option/);
  });

  it.each(['constructor', 'toString', '__proto__'])('routingStrategy %p is refused', (name) => {
    expectConfigError(() => new Router({ modelList: offline(), routingStrategy: name as never }), 'routingStrategy', /must be one of/);
  });

  it.each(['constructor/gpt-4o', 'toString/gpt-4o', '__proto__/gpt-4o'])('model %p names no provider', (model) => {
    expectConfigError(() => new Router({ modelList: [{ modelName: 'm', params: { model } }] }), 'modelList[0].params.model', /cannot tell the provider/);
  });

  it.each(['constructor', 'toString', 'hasOwnProperty', 'valueOf'])('router_settings and litellm_settings list %s as unsupported', (name) => {
    const t = translateLiteLLMConfig(liteLLMConfig({}, { router_settings: { [name]: 1 }, litellm_settings: { [name]: 'x' } }));
    expect(t.unsupported).toEqual([`router_settings.${name}`, `litellm_settings.${name}`]);
    expect(Object.keys(t.routerOptions)).toEqual(['modelList']);
  });

  it('an own __proto__ key in router_settings is listed as unsupported', () => {
    const t = translateLiteLLMConfig(`
model_list:
  - model_name: m
    litellm_params: { model: openai/gpt-4o }
router_settings:
  __proto__: { timeout: 1 }
`);
    expect(t.unsupported).toEqual(['router_settings.__proto__']);
    expect(t.routerOptions.timeout).toBeUndefined();
  });

  it('cache_params named like Object members are listed as unsupported, not passed to Cache', () => {
    const t = translateLiteLLMConfig(`
model_list:
  - model_name: m
    litellm_params: { model: openai/gpt-4o }
litellm_settings:
  cache: true
  cache_params: { constructor: 1, to_string: x, __proto__: { ttl: -1 }, ttl: 60 }
`);
    expect(t.cacheOptions).toEqual({ type: 'redis', ttl: 60 });
    expect(t.unsupported).toEqual([
      'litellm_settings.cache_params.constructor',
      'litellm_settings.cache_params.to_string',
      'litellm_settings.cache_params.__proto__',
    ]);
  });

  it('routing_strategy: constructor is refused naming its path', () => {
    expectConfigError(
      () => translateLiteLLMConfig(liteLLMConfig({}, { router_settings: { routing_strategy: 'constructor' } })),
      'router_settings.routing_strategy',
      /must be one of/,
    );
  });

  it('litellm_params named like Object members go to the provider as any unknown param', async () => {
    const router = Router.fromConfig(
      liteLLMConfig({ api_base: upstream().openaiBase, api_key: 'sk-test', constructor: 'c', toString: 't', hasOwnProperty: 1 }),
    );
    await router.completion({ model: 'm', messages: ask('members') });
    expect(upstream().callCount()).toBe(1);
    expect(upstream().calls[0]!.body).toMatchObject({ constructor: 'c', toString: 't', hasOwnProperty: 1 });
  });

  it('a __proto__ key in litellm_params or model_info is not taken as a prototype', async () => {
    const t = translateLiteLLMConfig(`
model_list:
  - model_name: m
    litellm_params:
      model: openai/gpt-4o
      api_base: ${upstream().openaiBase}
      __proto__: { api_key: smuggled, apiKey: smuggled, rpm: -1 }
    model_info:
      __proto__: { id: smuggled }
`);
    expect(t.unsupported).toEqual(['model_list[0].litellm_params.__proto__']);
    const entry = t.routerOptions.modelList[0]!;
    expect(entry.params.apiKey).toBeUndefined();
    expect(entry.params.rpm).toBeUndefined();
    expect(entry.info?.id).toBeUndefined();
    const router = new Router(t.routerOptions);
    await router.completion({ model: 'm', messages: ask('proto') });
    expect(upstream().calls[0]!.headers.authorization).toBeUndefined();
    expect((await router.getAvailableDeployment('m')).id).not.toBe('smuggled');
  });
});

describe('values JSON cannot show are named as they are', () => {
  it.each([
    [{ timeout: Number.NaN }, 'timeout', /got NaN$/],
    [{ numRetries: Number.POSITIVE_INFINITY }, 'numRetries', /got Infinity$/],
    [{ cooldownTime: Number.NEGATIVE_INFINITY }, 'cooldownTime', /got -Infinity$/],
    [{ retryAfter: Number.NaN }, 'retryAfter', /got NaN$/],
    [{ routingStrategy: Number.NaN }, 'routingStrategy', /got NaN$/],
  ])('Router %p', (options, option, message) => {
    expectConfigError(() => new Router({ modelList: offline(), ...(options as object) }), option, message);
  });

  it.each([
    ['rpm', Number.NaN, /got NaN$/],
    ['timeout', Number.POSITIVE_INFINITY, /got Infinity$/],
    ['weight', Number.NaN, /got NaN$/],
  ])('deployment param %s of %p', (name, value, message) => {
    expectConfigError(() => new Router({ modelList: offline({ [name]: value }) }), `modelList[0].params.${name}`, message);
  });

  it('a YAML .nan is named NaN', () => {
    expectConfigError(
      () => translateLiteLLMConfig('model_list:\n  - model_name: m\n    litellm_params: { model: openai/gpt-4o }\nrouter_settings:\n  timeout: .nan\n'),
      'router_settings.timeout',
      /got NaN$/,
    );
  });
});

describe('timers: values past Node timer limit', () => {
  it.each(['timeout', 'cooldownTime', 'retryAfter'])('Router %s past %d s is refused naming it', (option) => {
    for (const value of [3e6, MAX_TIMER_SECONDS + 0.001]) {
      expectConfigError(() => new Router({ modelList: offline(), [option]: value }), option, /to 2147483\.647/);
    }
    expect(() => new Router({ modelList: offline(), [option]: MAX_TIMER_SECONDS })).not.toThrow();
  });

  it('a deployment timeout past the limit is refused naming it', () => {
    expectConfigError(() => new Router({ modelList: offline({ timeout: 3e6 }) }), 'modelList[0].params.timeout', /to 2147483\.647/);
  });

  it('a timeout at the limit really waits: a call succeeds against the upstream', async () => {
    const router = new Router({
      modelList: [deployment(upstream(), 'm', 'gpt-4o', { timeout: MAX_TIMER_SECONDS })],
      timeout: MAX_TIMER_SECONDS,
      numRetries: 0,
    });
    upstream().script('gpt-4o', { latencyMs: 30 });
    const res = await router.completion({ model: 'm', messages: ask('slow but fine') });
    expect(res.choices[0]!.message.content).toBe('Reply to "slow but fine" from gpt-4o');
  });

  it.each([
    [{ router_settings: { timeout: 3e6 } }, 'router_settings.timeout'],
    [{ litellm_settings: { request_timeout: '3000000' } }, 'litellm_settings.request_timeout'],
    [{ router_settings: { cooldown_time: 3e6 } }, 'router_settings.cooldown_time'],
    [{ litellm_settings: { cooldown_time: 3e6 } }, 'litellm_settings.cooldown_time'],
    [{ router_settings: { retry_after: 3e6 } }, 'router_settings.retry_after'],
  ])('LiteLLM config %p is refused naming %s', (sections, path) => {
    expectConfigError(() => translateLiteLLMConfig(liteLLMConfig({}, sections)), path, /to 2147483\.647/);
  });

  it('a per-deployment timeout past the limit is refused naming its YAML path', () => {
    expectConfigError(() => translateLiteLLMConfig(liteLLMConfig({ timeout: 3e6 })), 'model_list[0].litellm_params.timeout', /to 2147483\.647/);
  });

  it('the limit itself is accepted in a LiteLLM config', () => {
    const t = translateLiteLLMConfig(
      liteLLMConfig({ timeout: MAX_TIMER_SECONDS }, { router_settings: { timeout: MAX_TIMER_SECONDS, retry_after: 0, cooldown_time: 0 } }),
    );
    expect(t.routerOptions).toMatchObject({ timeout: MAX_TIMER_SECONDS, retryAfter: 0, cooldownTime: 0 });
  });
});

describe('header safety at configuration', () => {
  const BAD_VALUES = ['sk\r\nx-injected: 1', 'sk\n', 'sk\r', 'sk\0', 'sk\x01', 'sk\x7f', 'sk\u20ac'];

  it.each(['apiKey', 'apiVersion', 'organization'])('%s a header cannot carry is refused at construction, without echoing it', (field) => {
    for (const value of BAD_VALUES) {
      const err = expectConfigError(() => new Router({ modelList: offline({ [field]: value }) }), `modelList[0].params.${field}`, /HTTP header/);
      expect(err.message).not.toContain(value);
    }
  });

  it.each(['extra_headers', 'extraHeaders', 'headers'])('%s: bad names and values are refused naming the header', (field) => {
    const at = `modelList[0].params.${field}`;
    expectConfigError(() => new Router({ modelList: offline({ [field]: { 'x bad': '1' } }) }), at, /header name "x bad" is not an HTTP token/);
    expectConfigError(() => new Router({ modelList: offline({ [field]: { 'x:y': '1' } }) }), at, /not an HTTP token/);
    expectConfigError(() => new Router({ modelList: offline({ [field]: { 'x-trace': 'a\r\nb' } }) }), at, /header "x-trace" has a value/);
    expectConfigError(() => new Router({ modelList: offline({ [field]: ['x'] }) }), at, /must be an object/);
  });

  it('good values are sent as they are', async () => {
    const router = new Router({
      modelList: [
        deployment(upstream(), 'm', 'gpt-4o', {
          apiKey: 'sk-caf\xe9',
          organization: 'org-1',
          extra_headers: { 'x-trace': 'a\tb', 'x-count': 5, "x-!#$%&'*+.^_`|~": 'ok' },
        }),
      ],
    });
    await router.completion({ model: 'm', messages: ask('headers') });
    const { headers } = upstream().calls[0]!;
    expect(headers['openai-organization']).toBe('org-1');
    expect(headers['x-trace']).toBe('a\tb');
    expect(headers['x-count']).toBe('5');
    expect(headers["x-!#$%&'*+.^_`|~"]).toBe('ok');
    expect(Buffer.from(String(headers.authorization), 'latin1').toString('latin1')).toBe('Bearer sk-caf\xe9');
  });

  it('a deployment with a bad key never reaches the upstream: the Router is refused first', () => {
    expectConfigError(() => new Router({ modelList: [deployment(upstream(), 'm', 'gpt-4o', { apiKey: 'sk\r\nx' })] }), 'modelList[0].params.apiKey');
    expect(upstream().callCount()).toBe(0);
  });

  it('top-level completion() with an apiKey holding CR LF is a 400 naming apiKey, with no upstream call', async () => {
    const err = await completion({ model: 'openai/gpt-4o', apiBase: upstream().openaiBase, apiKey: 'sk\r\nx', messages: ask('x') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadRequestError);
    expect((err as BadRequestError).status).toBe(400);
    expect((err as Error).message).toMatch(/apiKey: must be a string an HTTP header can carry/);
    expect((err as Error).message).not.toContain('sk\r\nx');
    expect((err as Error).cause).toBeInstanceOf(RouterConfigError);
    expect(upstream().callCount()).toBe(0);
  });
});

describe('isHeaderName / isHeaderValue agree with what fetch sends', () => {
  let server: Server;
  let url: string;
  beforeAll(async () => {
    server = createServer((_, res) => res.end('ok'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  async function fetchSends(headers: Record<string, string>): Promise<boolean> {
    try {
      await (await fetch(url, { headers })).text();
      return true;
    } catch (err) {
      // fetch refuses a header with a TypeError (of Node's realm, so compared by name under jest).
      if ((err as Error).name === 'TypeError') return false;
      throw err;
    }
  }

  const NAMES = ['x-ok', "!#$%&'*+.^_`|~09Az-", 'a b', 'a:b', '', 'caf\xe9', 'a@b', 'a(b', 'a/b', 'a"b', 'a\tb'];
  const VALUES = [
    'plain',
    '',
    ' padded ',
    'a\tb',
    'caf\xe9',
    '\xff',
    'a\r\nb',
    'a\nb',
    'a\rb',
    'a\0b',
    'a\x01b',
    'a\x1fb',
    'a\x7fb',
    'a\u0100b',
    'a\u20acb',
    '😀',
  ];

  it.each(NAMES)('name %p', async (name) => {
    expect(isHeaderName(name)).toBe(await fetchSends({ [name]: 'v' }));
  });

  it.each(VALUES)('value %p', async (value) => {
    expect(isHeaderValue(value)).toBe(await fetchSends({ 'x-v': value }));
  });
});
