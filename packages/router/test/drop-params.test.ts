// drop_params: per deployment (camelCase and snake_case), router-wide and from litellm_settings; the params a
// provider refuses are absent from what the upstream receives with it, and sent as before without it.
import { Cache } from '@llmcache/core';
import { BadRequestError, Router, RouterConfigError, type ModelListEntry } from '@llmcache/router';
import { ask, fromJavaScript, useUpstream } from './helpers';

const upstream = useUpstream();

/** The OpenAI params Anthropic's Messages API has no counterpart for (response_format is translated away already). */
const REFUSED = {
  seed: 7,
  frequency_penalty: 0.5,
  presence_penalty: 0.5,
  logit_bias: { '50256': -100 },
  logprobs: true,
  top_logprobs: 2,
  parallel_tool_calls: false,
};
const REFUSED_NAMES = Object.keys(REFUSED);

const routers: Router[] = [];
afterEach(async () => {
  await Promise.all(routers.splice(0).map((r) => r.close()));
});

function claude(params: Record<string, unknown> = {}): ModelListEntry {
  return { modelName: 'claude', params: { model: 'anthropic/claude-3-5-haiku', apiBase: upstream().url, apiKey: 'ak', ...params } };
}

function make(options: ConstructorParameters<typeof Router>[0]): Router {
  const router = new Router(options);
  routers.push(router);
  return router;
}

async function sentBody(router: Router, extra: Record<string, unknown> = REFUSED): Promise<Record<string, unknown>> {
  await router.completion({ model: 'claude', messages: ask('drop test'), temperature: 0.3, ...extra });
  return upstream().calls.at(-1)!.body;
}

describe('drop_params on Anthropic', () => {
  it.each([['dropParams'], ['drop_params']])('params.%s: true drops them, keeps the rest, and is not itself sent; without it they go through', async (name) => {
    // Without it: today's behaviour, every param sent as it is.
    const kept = await sentBody(make({ modelList: [claude()] }));
    expect(kept).toMatchObject(REFUSED);
    expect(kept.temperature).toBe(0.3);
    const body = await sentBody(make({ modelList: [claude({ [name]: true })] }));
    for (const param of REFUSED_NAMES) expect(body).not.toHaveProperty(param);
    expect(body).not.toHaveProperty('dropParams');
    expect(body).not.toHaveProperty('drop_params');
    expect(body.temperature).toBe(0.3);
    expect(body.max_tokens).toBe(4096);
  });

  it('drops them from a stream too', async () => {
    const router = make({ modelList: [claude({ dropParams: true })] });
    const stream = await router.completion({ model: 'claude', messages: ask('stream drop'), stream: true, ...REFUSED });
    for await (const _ of stream) {
      // read to the end
    }
    const body = upstream().calls[0]!.body;
    expect(body.stream).toBe(true);
    for (const param of REFUSED_NAMES) expect(body).not.toHaveProperty(param);
  });

  it('n: 2 is dropped with it, refused without it', async () => {
    const refused = await make({ modelList: [claude()], numRetries: 0 })
      .completion({ model: 'claude', messages: ask('x'), n: 2 })
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(BadRequestError);
    const res = await make({ modelList: [claude({ dropParams: true })] }).completion({ model: 'claude', messages: ask('x'), n: 2 });
    expect(res.choices).toHaveLength(1);
    expect(upstream().calls.at(-1)!.body).not.toHaveProperty('n');
  });

  it("router-wide dropParams applies to every deployment; a deployment's own false wins", async () => {
    const router = make({ modelList: [claude(), { ...claude({ dropParams: false }), modelName: 'claude-keeps' }], dropParams: true });
    const dropped = await sentBody(router);
    for (const param of REFUSED_NAMES) expect(dropped).not.toHaveProperty(param);
    await router.completion({ model: 'claude-keeps', messages: ask('keep'), ...REFUSED });
    expect(upstream().calls.at(-1)!.body).toMatchObject(REFUSED);
  });

  it("the cache key is the same with and without it: it is built from the request's params", async () => {
    const request = { model: 'claude', messages: ask('key'), ...REFUSED };
    const keep = make({ modelList: [claude()] });
    const drop = make({ modelList: [claude({ dropParams: true })] });
    expect(drop.cacheKey(request)).toBe(keep.cacheKey(request));
    // …and a cached answer is still told apart by those params.
    const cached = make({ modelList: [claude({ dropParams: true })], cache: new Cache() });
    await cached.completion(request);
    expect(upstream().calls[0]!.body).not.toHaveProperty('seed');
    const other = await cached.completion({ ...request, seed: 8 });
    expect(other._hiddenParams.cacheHit).toBe(false);
  });

  it('a dropParams that is not a boolean is a RouterConfigError naming it', () => {
    expect(() => make({ modelList: [claude({ dropParams: 'yes' })] })).toThrow(RouterConfigError);
    expect(() => make({ modelList: [claude({ drop_params: 1 })] })).toThrow(/modelList\[0\]\.params\.drop_params: must be true or false/);
    expect(() => make({ modelList: [claude()], dropParams: 'yes' as never })).toThrow(/dropParams: must be true or false/);
  });
});

describe('drop_params on a single request', () => {
  it.each([['drop_params'], ['dropParams']])('%s: true drops the refused params for that call only, and is neither sent nor keyed', async (name) => {
    const router = make({ modelList: [claude()], cache: new Cache() });
    const request = { model: 'claude', messages: ask('per call'), ...REFUSED };
    expect(router.cacheKey({ ...request, [name]: true })).toBe(router.cacheKey(request));
    await router.completion({ ...request, [name]: true });
    const body = upstream().calls[0]!.body;
    for (const param of [...REFUSED_NAMES, name]) expect(body).not.toHaveProperty(param);
    // The next call without it sends them all, as the deployment does not drop.
    await router.completion({ ...request, messages: ask('next call') });
    expect(upstream().calls[1]!.body).toMatchObject(REFUSED);
    // Dropped or not, the answer is one cache entry: the same request with drop_params is a hit.
    const again = await router.completion({ ...request, [name]: true });
    expect(again._hiddenParams.cacheHit).toBe(true);
  });

  it("a request's drop_params: false sends them on a deployment that drops; a value that is not a boolean is a 400 naming it", async () => {
    const router = make({ modelList: [claude({ dropParams: true })] });
    await router.completion({ model: 'claude', messages: ask('keep them'), ...REFUSED, drop_params: false });
    expect(upstream().calls[0]!.body).toMatchObject(REFUSED);
    const err = await router.completion(fromJavaScript({ model: 'claude', messages: ask('x'), drop_params: 'yes' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadRequestError);
    expect((err as Error).message).toContain('drop_params: must be true or false');
    expect(upstream().calls).toHaveLength(1);
  });
});

describe('drop_params on a provider row', () => {
  // What LiteLLM translates for Cerebras: no logit_bias, logprobs or penalties; seed and user go through.
  it('cerebras drops what LiteLLM does not translate for it with it, and sends them without it', async () => {
    const cerebras = (extra: Record<string, unknown>) => ({
      modelName: 'g',
      params: { model: 'cerebras/llama3.1-8b', apiBase: upstream().openaiBase, apiKey: 'ck', ...extra },
    });
    const request = { model: 'g', messages: ask('x'), logit_bias: { '1': 1 }, logprobs: true, presence_penalty: 0.5, seed: 3, user: 'u' };
    await make({ modelList: [cerebras({})] }).completion(request);
    expect(upstream().calls[0]!.body).toMatchObject({ logit_bias: { '1': 1 }, logprobs: true, presence_penalty: 0.5, seed: 3 });
    await make({ modelList: [cerebras({ dropParams: true })] }).completion(request);
    const body = upstream().calls[1]!.body;
    for (const name of ['logit_bias', 'logprobs', 'presence_penalty']) expect(body).not.toHaveProperty(name);
    expect(body).toMatchObject({ seed: 3, user: 'u' });
  });

  it('groq takes every OpenAI param in LiteLLM, so dropParams drops nothing there', async () => {
    const request = { model: 'g', messages: ask('x'), logit_bias: { '1': 1 }, logprobs: true, seed: 3 };
    await make({ modelList: [{ modelName: 'g', params: { model: 'groq/llama', apiBase: upstream().openaiBase, apiKey: 'gk', dropParams: true } }] }).completion(
      request,
    );
    expect(upstream().calls[0]!.body).toMatchObject({ logit_bias: { '1': 1 }, logprobs: true, seed: 3 });
  });
});

describe('drop_params from a LiteLLM config', () => {
  const config = (litellmSettings: string, params = '') => `
model_list:
  - model_name: claude
    litellm_params:
      model: anthropic/claude-3-5-haiku
      api_base: ${upstream().url}
      api_key: ak${params}
${litellmSettings}`;

  it('litellm_settings.drop_params: true drops them and is no longer listed as unsupported', async () => {
    const router = Router.fromConfig(config('litellm_settings:\n  drop_params: true'));
    routers.push(router);
    expect(router.unsupportedConfig).toEqual([]);
    const body = await sentBody(router);
    for (const param of REFUSED_NAMES) expect(body).not.toHaveProperty(param);
  });

  it('litellm_params.drop_params: true on one deployment drops them there', async () => {
    const router = Router.fromConfig(config('', '\n      drop_params: True'));
    routers.push(router);
    const body = await sentBody(router);
    for (const param of REFUSED_NAMES) expect(body).not.toHaveProperty(param);
    expect(body).not.toHaveProperty('drop_params');
  });

  it('litellm_settings.drop_params that is not a boolean names its path', () => {
    expect(() => Router.fromConfig(config('litellm_settings:\n  drop_params: sometimes'))).toThrow(/litellm_settings\.drop_params: must be true or false/);
  });
});
