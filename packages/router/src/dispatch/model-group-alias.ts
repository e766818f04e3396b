// LiteLLM's `model_group_alias`: another name a model group answers to. A call for the alias is a call for
// its group (same deployments, same cache entries); a hidden alias routes but is not listed.
import { describeValue } from '@llmcache/core/internal';
import { RouterConfigError } from '../errors';
import type { RouterOptions } from '../types';
import { isPattern, type WildcardRoutes } from './wildcards';

const OPTION = 'modelGroupAlias';

export class ModelGroupAliases {
  private readonly targets = new Map<string, string>();
  /** The aliases `router.modelGroups` lists: every one not marked `hidden`. */
  readonly listed: readonly string[];

  constructor(option: RouterOptions['modelGroupAlias'], groups: ReadonlyMap<string, unknown>, wildcards: WildcardRoutes) {
    const listed: string[] = [];
    if (option !== undefined) {
      if (typeof option !== 'object' || option === null || Array.isArray(option)) {
        throw new RouterConfigError(OPTION, `must be an object of alias → model group (or { model, hidden }), got ${describeValue(option)}`);
      }
      for (const [alias, entry] of Object.entries(option)) {
        const at = `${OPTION}.${alias}`;
        // An alias that is also a group would make the name mean two things.
        if (groups.has(alias)) throw new RouterConfigError(at, `"${alias}" is already a model group; an alias must be a new name`);
        const { model, hidden } = readEntry(at, entry);
        // A model only a wildcard group serves (`gpt-5.5` through `*`) is a target too, as in LiteLLM.
        const served = groups.has(model) || (!isPattern(model) && wildcards.groupFor(model) !== undefined);
        if (!served) throw new RouterConfigError(at, `"${model}" is not a model group; known: ${[...groups.keys()].join(', ')}`);
        this.targets.set(alias, model);
        if (!hidden) listed.push(alias);
      }
    }
    this.listed = listed;
  }

  /** The group a requested model names: its alias's target, else the model itself. */
  resolve(model: unknown): unknown {
    return typeof model === 'string' ? (this.targets.get(model) ?? model) : model;
  }
}

function readEntry(at: string, entry: unknown): { model: string; hidden: boolean } {
  if (typeof entry === 'string' && entry !== '') return { model: entry, hidden: false };
  if (typeof entry === 'object' && entry !== null && !Array.isArray(entry)) {
    const { model, hidden, ...rest } = entry as Record<string, unknown>;
    const extra = Object.keys(rest);
    if (extra.length > 0) throw new RouterConfigError(at, `has unknown field ${extra.join(', ')}; the long form is { model, hidden }`);
    if (typeof model !== 'string' || model === '') throw new RouterConfigError(`${at}.model`, `must be a model group name, got ${describeValue(model)}`);
    if (hidden !== undefined && typeof hidden !== 'boolean') throw new RouterConfigError(`${at}.hidden`, `must be true or false, got ${describeValue(hidden)}`);
    return { model, hidden: hidden === true };
  }
  throw new RouterConfigError(at, `must be a model group name or { model, hidden }, got ${describeValue(entry)}`);
}
