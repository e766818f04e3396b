import * as crypto from 'node:crypto';
import { canonicalJson } from './canonical-json';
import { normalizeCallType } from './call-types';
import { CacheConfigError } from './errors';
import { wellFormed } from './key-space';

/**
 * Request params that never change what the model answers: transport, credentials, retries, routing,
 * streaming framing and cache control. Every other param is part of the key, including ones llmcache
 * does not know (provider-specific `top_k`, `num_ctx`, …).
 */
export const NON_KEY_PARAMS: ReadonlySet<string> = new Set([
  'model',
  'cache',
  'stream',
  'stream_options',
  'streamOptions',
  'apiKey',
  'api_key',
  'apiBase',
  'api_base',
  'baseUrl',
  'base_url',
  'apiVersion',
  'api_version',
  'organization',
  'headers',
  'extraHeaders',
  'extra_headers',
  'timeout',
  'requestTimeout',
  'request_timeout',
  'stream_timeout',
  'streamTimeout',
  'signal',
  'numRetries',
  'num_retries',
  'maxRetries',
  'max_retries',
  'fallbacks',
  'contextWindowFallbacks',
  'context_window_fallbacks',
  'metadata',
  'caching',
  'proxy_server_request',
  // Whether refused params are dropped: the params themselves stay in the key.
  'drop_params',
  'dropParams',
]);

export interface CacheKeyInput {
  /** `completion`, `embedding`, `transcription`, `text_completion` or an `a*` alias. */
  callType: string;
  /** The resolved model identity: a caching group's canonical id, else the model group name. */
  model: string;
  /** The request's params; non-key params (see `NON_KEY_PARAMS`) are ignored. */
  params: Record<string, unknown>;
  /** Prefixes the key as `namespace:hex`. */
  namespace?: string | undefined;
}

/** The object whose canonical JSON is hashed; exported so the algorithm can be checked from outside. */
export function cacheKeyMaterial(input: CacheKeyInput): { callType: string; model: string; params: Record<string, unknown> } {
  const callType = normalizeCallType(input.callType);
  if (callType === undefined) throw new CacheConfigError('core', 'callType', `unknown call type "${input.callType}"`);
  if (typeof input.model !== 'string' || input.model === '') throw new CacheConfigError('core', 'model', 'must be a non-empty string');
  const params: Record<string, unknown> = {};
  for (const name of Object.keys(input.params)) {
    if (!NON_KEY_PARAMS.has(name)) params[name] = input.params[name];
  }
  return { callType, model: input.model, params };
}

/** `sha256` hex of the canonical JSON of `{ callType, model, params }`, prefixed `namespace:` when given. */
export function cacheKey(input: CacheKeyInput): string {
  const { callType, model, params } = cacheKeyMaterial(input);
  // A namespace the store would write as U+FFFD must not share keys with one that holds U+FFFD.
  if (input.namespace) wellFormed('core', 'namespace', input.namespace);
  return cacheKeyFromCanonicalParams(callType, model, canonicalJson(params), input.namespace);
}

/**
 * The same key as `cacheKey`, from params already in canonical JSON (`canonicalJson` of the key params):
 * a caller that needs that JSON anyway (to check that the request can be sent) serialises only once.
 * `callType` must be a normalised call type (`completion`, not `acompletion`).
 */
export function cacheKeyFromCanonicalParams(callType: string, model: string, canonicalParams: string, namespace?: string): string {
  const hex = sha256Hex(`${keyPrefix(callType, model)}${canonicalParams}}`);
  return !namespace ? hex : `${namespace}:${hex}`;
}

// A process sees few call type and model pairs; their prefix is made once (bounded all the same).
const prefixes = new Map<string, Map<string, string>>();
let prefixCount = 0;

/** `{"callType":…,"model":…,"params":`: the members in sorted order, so the whole is canonicalJson({ callType, model, params }). */
function keyPrefix(callType: string, model: string): string {
  let byModel = prefixes.get(callType);
  let prefix = byModel?.get(model);
  if (prefix === undefined) {
    if (++prefixCount > 1024) {
      prefixes.clear();
      prefixCount = 1;
      byModel = undefined;
    }
    if (byModel === undefined) prefixes.set(callType, (byModel = new Map<string, string>()));
    prefix = `{"callType":${canonicalJson(callType)},"model":${canonicalJson(model)},"params":`;
    byModel.set(model, prefix);
  }
  return prefix;
}

// crypto.hash (Node 20.12+) skips the Hash object: a third faster for short inputs. Read once: the
// bundle's namespace import would look it up through a getter on every call.
const oneShotHash = crypto.hash;
const sha256Hex: (text: string) => string =
  typeof oneShotHash === 'function' ? (text) => oneShotHash('sha256', text, 'hex') : (text) => crypto.createHash('sha256').update(text).digest('hex');
