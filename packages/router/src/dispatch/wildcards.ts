// Wildcard deployments, as LiteLLM's router has them: a `model_name` with `*` (`*`, `openai/*`, `fo::*:static::*`)
// routes every requested model that no exact group has and that the pattern matches; each `*` of the
// deployment's `model` takes the part of the requested name its `*` matched (`openai/*` → `openai/gpt-4o`).
// A fallback to a pattern group makes it concrete for the model the request named.
import type { Deployment } from './deployment';
import { BadRequestError, invalidRequest } from '../errors';
import { resolveProvider, unknownProviderMessage, type Provider } from '../providers';

export function isPattern(name: string): boolean {
  return name.includes('*');
}

/** A request routed by a pattern: the pattern's group, and its deployments made concrete for the requested model, by id. */
export interface WildcardMatch {
  group: string;
  concrete: ReadonlyMap<string, Deployment>;
}

interface Pattern {
  group: string;
  regex: RegExp;
}

function toRegex(pattern: string): RegExp {
  const escaped = pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${escaped.join('(.*)')}$`, 's');
}

/** The deployment's model for this request: each `*` takes the next matched part; more parts than `*`s: the requested name. */
function substitute(model: string, requested: string, parts: readonly string[]): string {
  if (!isPattern(model)) return model;
  const wildcards = model.split('*').length - 1;
  if (parts.length > wildcards) return requested;
  let out = model;
  for (const part of parts) out = out.replace('*', part);
  return out;
}

export class WildcardRoutes {
  private readonly patterns: readonly Pattern[];

  constructor(private readonly groups: ReadonlyMap<string, readonly Deployment[]>) {
    // As LiteLLM: the longest pattern first, then the one with more wildcards.
    this.patterns = [...groups.keys()]
      .filter(isPattern)
      .sort((a, b) => b.length - a.length || b.split('*').length - a.split('*').length)
      .map((group) => ({ group, regex: toRegex(group) }));
  }

  /**
   * The group a request's `model` goes to: its exact group, else the pattern group that matches it (a
   * pattern's own name is not an exact group); a 400 naming the groups when there is none.
   */
  route(model: unknown): { modelGroup: string; wildcard: WildcardMatch | undefined } {
    const wildcard = typeof model === 'string' && (!this.groups.has(model) || isPattern(model)) ? this.match(model) : undefined;
    if (typeof model !== 'string' || (!wildcard && !this.groups.has(model))) {
      throw invalidRequest(`model: "${String(model)}" is not a model group of this router; known: ${[...this.groups.keys()].join(', ')}`);
    }
    return { modelGroup: wildcard?.group ?? model, wildcard };
  }

  /** The pattern group that routes `model`, or undefined; a 400 when the deployment's model it makes names no provider. */
  match(model: string): WildcardMatch | undefined {
    for (const { group, regex } of this.patterns) {
      const found = regex.exec(model);
      if (found) return { group, concrete: this.concrete(group, model, found.slice(1)) };
    }
    return undefined;
  }

  /** The pattern group that would route `model`, without making its deployments: for checking fallback targets. */
  groupFor(model: string): string | undefined {
    return this.patterns.find(({ regex }) => regex.test(model))?.group;
  }

  /**
   * A fallback target as the request's `model` makes it concrete: a pattern group (`*`, `anthropic/*`) takes
   * the requested model for its `*` (the parts its pattern matched, or the whole name when it does not
   * match); any other name routes as a request for it would (`azure/gpt-4o` through `azure/*`). Undefined
   * for an exact group, whose deployments are concrete already.
   */
  fallbackTarget(target: string, model: string): WildcardMatch | undefined {
    if (!isPattern(target)) return this.groups.has(target) ? undefined : this.match(target);
    const found = this.patterns.find((p) => p.group === target)?.regex.exec(model);
    return { group: target, concrete: this.concrete(target, model, found ? found.slice(1) : [model]) };
  }

  /** The group's deployments with each `*` of their model replaced by `parts` (or the whole of `model`), by id. */
  private concrete(group: string, model: string, parts: readonly string[]): Map<string, Deployment> {
    const concrete = new Map<string, Deployment>();
    for (const deployment of this.groups.get(group)!) {
      const providerModel = substitute(deployment.params.model, model, parts);
      const resolved = resolveProvider(providerModel);
      if (!resolved) throw invalidRequest(`model: "${model}" matches the wildcard group "${group}", but ${unknownProviderMessage(providerModel)}`);
      concrete.set(deployment.id, { ...deployment, provider: resolved.provider, providerModel: resolved.model });
    }
    return concrete;
  }
}

const notConcrete = (): never => {
  throw new BadRequestError('a wildcard deployment is called only for a requested model', { status: 400, provider: 'llmcache' });
};

/** Stands in for the provider of a `*` deployment until a request names its model. */
export const perRequestProvider: Provider = {
  name: 'wildcard',
  unsupportedParams: new Set(),
  chat: notConcrete,
  chatStream: notConcrete,
  textCompletion: notConcrete,
  embedding: notConcrete,
  transcription: notConcrete,
};
