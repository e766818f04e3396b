import { createHash } from 'node:crypto';
import { canonicalJson, describeValue } from '@llmcache/core/internal';
import PQueue from 'p-queue';
import { headersOf } from '../calls/call-settings';
import { RouterConfigError } from '../errors';
import { isHeaderValue } from '../headers';
import { numberProblem, RULES } from '../config/checks';
import { resolveProvider, unknownProviderMessage } from '../providers';
import { isObject } from '../providers/validate';
import { isPattern, perRequestProvider } from './wildcards';
import type { DeploymentParams, ModelListEntry } from '../types';
import type { Deployment } from './deployment';

/** What the router's own options give every deployment. */
export interface DeploymentDefaults {
  /** `RouterOptions.dropParams`: a deployment's own `dropParams` / `drop_params` wins. @default false */
  dropParams?: boolean | undefined;
}

export interface ModelGroups {
  groups: ReadonlyMap<string, readonly Deployment[]>;
  /** Model group → the identity it has in cache keys. */
  cacheIdentity: ReadonlyMap<string, string>;
}

/** A stable id from the group and params: the same in every process that has the same config. */
export function deploymentId(modelName: string, params: DeploymentParams): string {
  return createHash('sha256').update(canonicalJson({ modelName, params })).digest('hex').slice(0, 16);
}

/** The cache identity of a caching group: independent of the order its members were declared in. */
export function cachingGroupId(members: readonly string[]): string {
  return `caching-group:${canonicalJson([...new Set(members)].sort())}`;
}

/** What is wrong with a deployment param's value, or undefined when it is fine. */
type ParamCheck = (value: unknown) => string | undefined;

const trueOrFalse: ParamCheck = (v) => (typeof v === 'boolean' ? undefined : `must be true or false, got ${describeValue(v)}`);

// Secrets: named, never echoed. Sent as headers (apiKey, organization) or beside them (apiVersion).
const headerValue: ParamCheck = (v) =>
  typeof v !== 'string'
    ? `must be a string, got ${describeValue(v)}`
    : isHeaderValue(v)
      ? undefined
      : 'must be a string an HTTP header can carry (no CR, LF, NUL or other control characters, nothing past U+00FF)';

const PARAM_CHECKS: Readonly<Record<string, ParamCheck>> = {
  rpm: (v) => numberProblem(RULES.positive, v),
  tpm: (v) => numberProblem(RULES.positive, v),
  weight: (v) => numberProblem(RULES.positive, v),
  timeout: (v) => numberProblem(RULES.timerSeconds, v),
  streamTimeout: (v) => numberProblem(RULES.timerSeconds, v),
  numRetries: (v) => numberProblem(RULES.retries, v),
  azureAdToken: headerValue,
  maxParallelRequests: (v) => numberProblem(RULES.positiveInteger, v),
  apiKey: headerValue,
  apiBase: (v) => (typeof v === 'string' && /^https?:\/\//.test(v) ? undefined : `must be an http(s) URL, got ${describeValue(v)}`),
  apiVersion: headerValue,
  extra_body: (v) => (isObject(v) ? undefined : `must be an object of params to send, got ${describeValue(v)}`),
  mockResponse: (v) => (typeof v === 'string' ? undefined : `must be a string, got ${describeValue(v)}`),
  dropParams: trueOrFalse,
  drop_params: trueOrFalse,
};

/** Validates `modelList` and `cachingGroups` and builds the groups; every problem is a `RouterConfigError` naming its place. */
export function buildModelGroups(modelList: unknown, cachingGroups: unknown, defaults: DeploymentDefaults = {}): ModelGroups {
  if (!Array.isArray(modelList) || modelList.length === 0) {
    throw new RouterConfigError('modelList', 'must be a non-empty array of { modelName, params }');
  }
  const dropProblem = defaults.dropParams === undefined ? undefined : trueOrFalse(defaults.dropParams);
  if (dropProblem) throw new RouterConfigError('dropParams', dropProblem);
  const groups = new Map<string, Deployment[]>();
  const ids = new Map<string, string>();
  (modelList as ModelListEntry[]).forEach((entry, i) => {
    const at = `modelList[${i}]`;
    if (typeof entry?.modelName !== 'string' || entry.modelName === '') throw new RouterConfigError(`${at}.modelName`, 'must be a non-empty string');
    if (typeof entry.params !== 'object' || entry.params === null) throw new RouterConfigError(`${at}.params`, 'must be an object with at least { model }');
    if (typeof entry.params.model !== 'string' || entry.params.model === '')
      throw new RouterConfigError(`${at}.params.model`, 'must be a non-empty string such as openai/gpt-4o');
    for (const [name, check] of Object.entries(PARAM_CHECKS)) {
      const value = entry.params[name];
      const problem = value === undefined ? undefined : check(value);
      if (problem) throw new RouterConfigError(`${at}.params.${name}`, problem);
    }
    // A wildcard deployment's provider may only be known once a request names the model (`*` → `*`).
    const resolved =
      resolveProvider(entry.params.model) ??
      (isPattern(entry.modelName) && isPattern(entry.params.model.split('/')[0]!) ? { provider: perRequestProvider, model: entry.params.model } : undefined);
    if (!resolved) throw new RouterConfigError(`${at}.params.model`, unknownProviderMessage(entry.params.model));
    const id = entry.info?.id ?? deploymentId(entry.modelName, entry.params);
    if (typeof id !== 'string' || id === '') throw new RouterConfigError(`${at}.info.id`, 'must be a non-empty string');
    const previous = ids.get(id);
    if (previous) throw new RouterConfigError(`${at}`, `deployment id "${id}" is also the id of ${previous}; give one of them a distinct info.id`);
    ids.set(id, at);
    const deployment: Deployment = {
      id,
      modelGroup: entry.modelName,
      params: entry.params,
      provider: resolved.provider,
      providerModel: resolved.model,
      weight: entry.params.weight ?? entry.params.rpm ?? entry.params.tpm,
      queue: entry.params.maxParallelRequests ? new PQueue({ concurrency: entry.params.maxParallelRequests }) : undefined,
      headers: headersOf(entry.params, (field, detail) => new RouterConfigError(`${at}.params.${field}`, detail)),
      dropParams: (entry.params.dropParams ?? entry.params.drop_params ?? defaults.dropParams ?? false) as boolean,
    };
    const group = groups.get(entry.modelName) ?? [];
    group.push(deployment);
    groups.set(entry.modelName, group);
  });

  const cacheIdentity = new Map<string, string>([...groups.keys()].map((name) => [name, name]));
  if (cachingGroups !== undefined) {
    if (!Array.isArray(cachingGroups)) throw new RouterConfigError('cachingGroups', 'must be an array of arrays of model group names');
    const memberOf = new Map<string, number>();
    cachingGroups.forEach((members: unknown, i) => {
      if (!Array.isArray(members) || members.length === 0) throw new RouterConfigError(`cachingGroups[${i}]`, 'must be a non-empty array of model group names');
      for (const name of members) {
        if (typeof name !== 'string' || !groups.has(name)) {
          throw new RouterConfigError(`cachingGroups[${i}]`, `names ${describeValue(name)}, which is not a model group in modelList`);
        }
        const other = memberOf.get(name);
        if (other !== undefined && other !== i) {
          throw new RouterConfigError(`cachingGroups[${i}]`, `"${name}" is already in cachingGroups[${other}]; a model group may be in one caching group only`);
        }
        memberOf.set(name, i);
      }
      const id = cachingGroupId(members as string[]);
      for (const name of members as string[]) cacheIdentity.set(name, id);
    });
  }
  return { groups, cacheIdentity };
}
