// A caller's bad input is a 400 naming what is wrong, checked before any attempt: it never reaches the
// upstream, never cools a deployment down and never hurts the next caller.
import { Cache } from '@llmcache/core';
import { BadRequestError, Router } from '@llmcache/router';
import { ask, deployment, fragileRouter, fromJavaScript, rejection, useUpstream } from './helpers';

const upstream = useUpstream();

describe('a bad per-request option is a 400 naming it, checked before any attempt', () => {
  const cases: Array<[string, Record<string, unknown>, RegExp]> = [
    ['timeout NaN', { timeout: Number.NaN }, /timeout: .*got NaN/],
    ['timeout 0', { timeout: 0 }, /timeout:/],
    ['timeout -1', { timeout: -1 }, /timeout:/],
    ['timeout past the timer limit', { timeout: 3e6 }, /timeout:/],
    ['timeout as a string', { timeout: '5' }, /timeout:/],
    ['stream_timeout NaN', { stream_timeout: Number.NaN }, /stream_timeout:/],
    ['numRetries 1.5', { numRetries: 1.5 }, /numRetries:/],
    ['numRetries huge', { numRetries: 1e9 }, /numRetries:/],
    ['num_retries -1', { num_retries: -1 }, /num_retries:/],
    ['a header value with CR LF', { extra_headers: { 'x-a': 'ok\r\nx-injected: 1' } }, /extra_headers: header "x-a" has a value an HTTP header cannot carry/],
    ['a header name with a space', { extra_headers: { 'bad name': 'v' } }, /extra_headers: header name "bad name" is not an HTTP token/],
    ['headers that are not an object', { headers: 'x-a: 1' }, /headers:/],
    ['an organization with a newline', { organization: 'org\n1' }, /organization:/],
    ['a signal that is not an AbortSignal', { signal: { aborted: false } }, /signal:/],
    ['stream that is not a boolean', { stream: 'yes' }, /stream:/],
    ['mockResponse that is not a string', { mockResponse: 42 }, /mockResponse:/],
    ['a cache control out of range, with no cache to read', { cache: { ttl: -1 } }, /cache\.ttl:/],
    ['an unknown cache control', { cache: { tll: 5 } }, /cache\.tll: is not a cache control/],
  ];

  it.each(cases)('%s', async (_name, bad, message) => {
    const { router, cooldowns } = fragileRouter(upstream());
    for (let i = 0; i < 3; i++) {
      const err = await rejection(router.completion({ model: 'g', messages: ask(`bad ${i}`), ...bad }));
      expect(err).toBeInstanceOf(BadRequestError);
      expect((err as BadRequestError).status).toBe(400);
      expect((err as Error).message).toMatch(message);
    }
    expect(upstream().callCount()).toBe(0);
    expect(cooldowns).toEqual([]);
    // The next client is served as if nothing had happened.
    const ok = await router.completion({ model: 'g', messages: ask('valid') });
    expect(ok.choices[0]!.message.content).toContain('valid');
  });
});

describe('params that cannot become JSON are a 400 naming the param', () => {
  const circular: Record<string, unknown> = { a: 1 };
  circular.self = circular;
  for (const withCache of [false, true]) {
    it(`a circular object and a BigInt, ${withCache ? 'with' : 'without'} a cache`, async () => {
      const router = new Router({ modelList: [deployment(upstream(), 'g', 'json-model')], ...(withCache ? { cache: new Cache() } : {}) });
      const cycle = await rejection(router.completion(fromJavaScript({ model: 'g', messages: ask('x'), tool_context: circular })));
      expect(cycle).toBeInstanceOf(BadRequestError);
      expect((cycle as Error).message).toMatch(/tool_context: cannot be sent as JSON/);
      const big = await rejection(router.completion(fromJavaScript({ model: 'g', messages: ask('x'), seed: 10n })));
      expect(big).toBeInstanceOf(BadRequestError);
      expect((big as Error).message).toMatch(/seed: cannot be sent as JSON/);
      expect(upstream().callCount()).toBe(0);
    });
  }
});
