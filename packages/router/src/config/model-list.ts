import { describeValue } from '@llmcache/core/internal';
import { RouterConfigError } from '../errors';
import type { DeploymentParams, ModelListEntry } from '../types';
import { anyString, boolean, nonEmptyString, numberCheck, positiveInteger, positiveNumber, RULES, timerSeconds, type Check } from './checks';
import { ignore, isObject, own, type Context, type Obj } from './context';
import { resolveEnv } from './env';
import { providerEnvDefaults } from './provider-env';

// `model_list`: each LiteLLM deployment as a `modelList` entry.

interface ParamSpec {
  name: string;
  check: Check<unknown>;
}

/** `litellm_params` keys llmcache knows, and their camelCase names. Unknown keys go to the provider unchanged. */
const KNOWN_PARAMS: Record<string, ParamSpec> = {
  model: { name: 'model', check: nonEmptyString },
  api_key: { name: 'apiKey', check: anyString },
  api_base: { name: 'apiBase', check: nonEmptyString },
  api_version: { name: 'apiVersion', check: nonEmptyString },
  // Positive, as the Router requires: a zero limit is refused here, naming the YAML path.
  rpm: { name: 'rpm', check: positiveNumber },
  tpm: { name: 'tpm', check: positiveNumber },
  weight: { name: 'weight', check: positiveNumber },
  timeout: { name: 'timeout', check: timerSeconds },
  stream_timeout: { name: 'streamTimeout', check: timerSeconds },
  // LiteLLM hands it to the deployment's OpenAI client; llmcache retries in the router, with this deployment's budget.
  max_retries: { name: 'numRetries', check: numberCheck(RULES.retries) },
  azure_ad_token: { name: 'azureAdToken', check: nonEmptyString },
  max_parallel_requests: { name: 'maxParallelRequests', check: positiveInteger },
  mock_response: { name: 'mockResponse', check: anyString },
  organization: { name: 'organization', check: anyString },
  drop_params: { name: 'dropParams', check: boolean },
};

/** Deployment param → its `litellm_params` key, for errors the Router finds. */
export const PARAM_FILE_NAMES = new Map(Object.entries(KNOWN_PARAMS).map(([key, spec]) => [spec.name, key]));

export function translateModelList(ctx: Context, value: unknown): ModelListEntry[] {
  if (!Array.isArray(value)) throw new RouterConfigError('model_list', `must be a list of deployments, got ${describeValue(value)}`);
  return value.map((entry, i) => translateDeployment(ctx, `model_list[${i}]`, entry));
}

function translateDeployment(ctx: Context, path: string, entry: unknown): ModelListEntry {
  if (!isObject(entry)) throw new RouterConfigError(path, `must be a mapping with model_name and litellm_params, got ${describeValue(entry)}`);
  const modelName = nonEmptyString(`${path}.model_name`, resolveEnv(ctx, `${path}.model_name`, entry.model_name));

  const rawParams = entry.litellm_params;
  if (!isObject(rawParams)) {
    throw new RouterConfigError(`${path}.litellm_params`, `must be a mapping with at least model, got ${describeValue(rawParams)}`);
  }
  if (rawParams.model === undefined || rawParams.model === null) throw new RouterConfigError(`${path}.litellm_params.model`, 'is required');

  const params: Obj = {};
  for (const [key, raw] of Object.entries(rawParams)) {
    const keyPath = `${path}.litellm_params.${key}`;
    // A `__proto__` key cannot travel as a provider param: set on an object, it would become its prototype.
    if (key === '__proto__') {
      ignore(ctx, keyPath, raw, 'cannot be passed as a provider param');
      continue;
    }
    const value = resolveEnv(ctx, keyPath, raw);
    const spec = own(KNOWN_PARAMS, key);
    if (!spec) params[key] = value;
    else if (value !== null && value !== undefined) params[spec.name] = spec.check(keyPath, value);
  }

  Object.assign(params, providerEnvDefaults(params.model as string, ctx.fileVars, params));

  const out: ModelListEntry = { modelName, params: params as DeploymentParams };
  for (const [key, raw] of Object.entries(entry)) {
    const keyPath = `${path}.${key}`;
    if (key === 'model_name' || key === 'litellm_params') continue;
    if (key === 'model_info') {
      const info = translateModelInfo(ctx, keyPath, raw);
      if (info) out.info = info;
    } else if ((key === 'rpm' || key === 'tpm') && raw !== null && raw !== undefined) {
      // LiteLLM also reads rpm/tpm at the deployment's top level; litellm_params wins.
      const n = positiveNumber(keyPath, resolveEnv(ctx, keyPath, raw));
      if (params[key] === undefined) params[key] = n;
    } else ignore(ctx, keyPath, raw, 'not a deployment field llmcache reads');
  }
  return out;
}

function translateModelInfo(ctx: Context, path: string, raw: unknown): ModelListEntry['info'] {
  if (raw === null || raw === undefined) return undefined;
  const info = resolveEnv(ctx, path, raw);
  if (!isObject(info)) throw new RouterConfigError(path, `must be a mapping, got ${describeValue(info)}`);
  if (info.id === undefined || info.id === null) {
    delete info.id;
    return info;
  }
  const id = typeof info.id === 'number' && Number.isFinite(info.id) ? String(info.id) : info.id;
  return { ...info, id: nonEmptyString(`${path}.id`, id) };
}
