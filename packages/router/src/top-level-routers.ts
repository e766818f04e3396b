import { canonicalJson } from '@llmcache/core/internal';
import { BadRequestError, RouterConfigError } from './errors';
import type { RouterOptions } from './types';

// Top-level calls as in LiteLLM: `completion({ model: 'openai/gpt-4o', messages, apiKey, apiBase })`. Each
// distinct model and endpoint gets a one-deployment router, kept for the next call, and the global cache.
// The routers are made by the caller's `create` (a `new Router`), so that this file needs no Router: the
// semantic cache's embedder, which the Router itself loads, finds them here too.
const routers = new Map<string, object>();
const MAX_ROUTERS = 100;

/** The router for a request's model and endpoint; a model or endpoint it cannot use is the request's fault: a 400. */
export async function routerFor<R extends object>(
  request: { model: unknown; apiKey?: unknown; apiBase?: unknown; apiVersion?: unknown },
  create: (options: RouterOptions) => R,
): Promise<R> {
  const params = { model: request.model, apiKey: request.apiKey, apiBase: request.apiBase, apiVersion: request.apiVersion };
  const id = canonicalJson(params);
  let router = routers.get(id) as R | undefined;
  if (!router) {
    try {
      router = create({ modelList: [{ modelName: String(request.model), params: params as { model: string } }] });
    } catch (err) {
      if (!(err instanceof RouterConfigError)) throw err;
      const field = err.option.replace(/^modelList\[0\]\.params\./, '').replace(/^modelList\[0\]\.modelName$/, 'model');
      throw new BadRequestError(`${field}: ${err.detail}`, { status: 400, provider: 'llmcache', cause: err });
    }
    if (routers.size >= MAX_ROUTERS) routers.delete(routers.keys().next().value!);
    routers.set(id, router);
  }
  return router;
}
