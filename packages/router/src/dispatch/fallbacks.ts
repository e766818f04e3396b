import { describeValue } from '@llmcache/core/internal';
import { BadRequestError, ContentPolicyViolationError, ContextWindowExceededError, RouterConfigError } from '../errors';
import type { RouterOptions } from '../types';
import type { Deployment } from './deployment';
import { isPattern, type WildcardRoutes } from './wildcards';

/** Where a group's calls go once its deployments fail: `fallbacks`, `contextWindowFallbacks`, `contentPolicyFallbacks`. */
export class Fallbacks {
  private readonly fallbacks: ReadonlyMap<string, readonly string[]>;
  private readonly contextWindowFallbacks: ReadonlyMap<string, readonly string[]>;
  private readonly contentPolicyFallbacks: ReadonlyMap<string, readonly string[]>;

  constructor(
    options: RouterOptions,
    private readonly groups: ReadonlyMap<string, readonly Deployment[]>,
    private readonly wildcards: WildcardRoutes,
  ) {
    this.fallbacks = this.fallbackMap('fallbacks', options.fallbacks);
    this.contextWindowFallbacks = this.fallbackMap('contextWindowFallbacks', options.contextWindowFallbacks);
    this.contentPolicyFallbacks = this.fallbackMap('contentPolicyFallbacks', options.contentPolicyFallbacks);
  }

  /**
   * The groups to try after `group` failed with `error`, in order. `requested` is the model the call named:
   * for a call a wildcard group routed, fallbacks keyed by that name (`gpt-5-mini` served by `*`) apply first.
   */
  for(group: string, error: unknown, requested: string = group): string[] {
    // Without a context-window (or content-policy) fallback for the group, the ordinary fallbacks apply (as LiteLLM).
    const special =
      error instanceof ContextWindowExceededError
        ? this.contextWindowFallbacks
        : error instanceof ContentPolicyViolationError
          ? this.contentPolicyFallbacks
          : undefined;
    const targets = special?.get(requested) ?? special?.get(group) ?? special?.get('*');
    if (targets) return [...targets];
    // Another group cannot fix a bad request (other than one this group's context window or content policy refused).
    if (error instanceof BadRequestError && !special) return [];
    return [...(this.fallbacks.get(requested) ?? this.fallbacks.get(group) ?? this.fallbacks.get('*') ?? [])];
  }

  private fallbackMap(option: string, list: RouterOptions['fallbacks']): Map<string, string[]> {
    const map = new Map<string, string[]>();
    if (list === undefined) return map;
    if (!Array.isArray(list)) throw new RouterConfigError(option, 'must be an array like [{ "gpt-4": ["gpt-3.5"] }]');
    list.forEach((entry, i) => {
      if (typeof entry !== 'object' || entry === null) throw new RouterConfigError(`${option}[${i}]`, 'must be an object of group → fallback groups');
      // A key or target may also be a model a wildcard group routes (`azure/gpt-4o` through `azure/*`), as in LiteLLM.
      const routable = (name: unknown) =>
        typeof name === 'string' && (this.groups.has(name) || (!isPattern(name) && this.wildcards.groupFor(name) !== undefined));
      for (const [from, to] of Object.entries(entry)) {
        if (from !== '*' && !routable(from)) throw new RouterConfigError(`${option}[${i}]`, `"${from}" is not a model group`);
        if (!Array.isArray(to) || !to.every(routable)) {
          throw new RouterConfigError(
            `${option}[${i}].${from}`,
            `must list model groups of this router (or models its wildcard groups route), got ${describeValue(to)}`,
          );
        }
        map.set(from, to);
      }
    });
    return map;
  }
}
