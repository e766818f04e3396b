import { MAX_TIMER_MS } from '@llmcache/core';
import { describeValue } from '@llmcache/core/internal';
import { RouterConfigError } from '../errors';
import type { ModelGroupAliasTarget, RoutingStrategyName } from '../types';
import { isObject, own, setOwn } from './context';

// ---- value checks: each takes the dotted path it names in its error -------------------------------------------------

export type Check<T> = (path: string, value: unknown) => T;

/** A number, or a numeric string (what an `os.environ/` value always is). */
export function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  return undefined;
}

/**
 * A rule for a number option: what it must be, as errors say it, and the test. These are the only number
 * rules: `new Router()` (its options and deployment params) and `fromConfig` check with the same ones.
 */
export interface NumberRule {
  what: string;
  ok(n: number): boolean;
}

// Seconds that feed a timer: past MAX_TIMER_MS, Node fires it after 1 ms.
const TIMER_RANGE = `${MAX_TIMER_MS / 1000} (the longest a timer can wait)`;

/** The most retries a deployment or a request may ask for: each one may cost a paid call. */
export const MAX_RETRIES = 100;

export const RULES = {
  positive: { what: 'a positive number', ok: (n) => n > 0 },
  timerSeconds: { what: `a number of seconds, over 0 to ${TIMER_RANGE}`, ok: (n) => n > 0 && n * 1000 <= MAX_TIMER_MS },
  timerSecondsOrZero: { what: `a number of seconds, 0 to ${TIMER_RANGE}`, ok: (n) => n >= 0 && n * 1000 <= MAX_TIMER_MS },
  wholeNumber: { what: 'a whole number, 0 or more', ok: (n) => Number.isInteger(n) && n >= 0 },
  retries: { what: `a whole number, 0 to ${MAX_RETRIES}`, ok: (n) => Number.isInteger(n) && n >= 0 && n <= MAX_RETRIES },
  positiveInteger: { what: 'a positive integer', ok: (n) => Number.isInteger(n) && n >= 1 },
  port: { what: 'a port number (1-65535)', ok: (n) => Number.isInteger(n) && n >= 1 && n <= 65535 },
} satisfies Record<string, NumberRule>;

/** What is wrong with `value` as a number option of the Router (a number: no numeric strings), or undefined. */
export function numberProblem(rule: NumberRule, value: unknown): string | undefined {
  return typeof value === 'number' && rule.ok(value) ? undefined : `must be ${rule.what}, got ${describeValue(value)}`;
}

/** `value` when it passes `rule`, else a RouterConfigError naming `option`. */
export function checkNumber(option: string, value: unknown, rule: NumberRule): number {
  const problem = numberProblem(rule, value);
  if (problem) throw new RouterConfigError(option, problem);
  return value as number;
}

/** The config-file side of a rule: a numeric string (what an `os.environ/` value is) counts as its number. */
export function numberCheck(rule: NumberRule): Check<number> {
  return (path, value) => {
    const n = toNumber(value);
    if (n === undefined || !Number.isFinite(n) || !rule.ok(n)) throw new RouterConfigError(path, `must be ${rule.what}, got ${describeValue(value)}`);
    return n;
  };
}

export const positiveNumber = numberCheck(RULES.positive);
export const timerSeconds = numberCheck(RULES.timerSeconds);
export const timerSecondsOrZero = numberCheck(RULES.timerSecondsOrZero);
export const nonNegativeInteger = numberCheck(RULES.wholeNumber);
export const positiveInteger = numberCheck(RULES.positiveInteger);

export const nonEmptyString: Check<string> = (path, value) => {
  if (typeof value !== 'string' || value === '') throw new RouterConfigError(path, `must be a non-empty string, got ${describeValue(value)}`);
  return value;
};

/** true or false; an `os.environ/` value is a string, so `"true"`/`"false"` (any case) count too. */
export const boolean: Check<boolean> = (path, value) => {
  if (typeof value === 'boolean') return value;
  const text = typeof value === 'string' ? value.toLowerCase() : undefined;
  if (text === 'true' || text === 'false') return text === 'true';
  throw new RouterConfigError(path, `must be true or false, got ${describeValue(value)}`);
};

export const anyString: Check<string> = (path, value) => {
  if (typeof value !== 'string') throw new RouterConfigError(path, `must be a string, got ${describeValue(value)}`);
  return value;
};

const ROUTING_STRATEGIES: Record<string, RoutingStrategyName> = {
  'simple-shuffle': 'simple-shuffle',
  'least-busy': 'least-busy',
  'latency-based-routing': 'latency-based-routing',
  'usage-based-routing': 'usage-based-routing',
  'usage-based-routing-v2': 'usage-based-routing',
};

export const routingStrategy: Check<RoutingStrategyName> = (path, value) => {
  const name = typeof value === 'string' ? own(ROUTING_STRATEGIES, value) : undefined;
  if (!name) throw new RouterConfigError(path, `must be one of ${Object.keys(ROUTING_STRATEGIES).join(', ')}, got ${describeValue(value)}`);
  return name;
};

function stringList(path: string, value: unknown): string[] {
  if (!Array.isArray(value)) throw new RouterConfigError(path, `must be a list of model group names, got ${describeValue(value)}`);
  return value.map((item, i) => nonEmptyString(`${path}[${i}]`, item));
}

/** `[{ 'gpt-4': ['gpt-3.5'] }, …]`, LiteLLM's fallbacks format. */
export const groupMaps: Check<Array<Record<string, string[]>>> = (path, value) => {
  if (!Array.isArray(value)) throw new RouterConfigError(path, `must be a list of { group: [fallback groups] }, got ${describeValue(value)}`);
  return value.map((item, i) => {
    if (!isObject(item)) throw new RouterConfigError(`${path}[${i}]`, `must be a mapping of group to fallback groups, got ${describeValue(item)}`);
    const out: Record<string, string[]> = {};
    for (const [group, targets] of Object.entries(item)) setOwn(out, group, stringList(`${path}[${i}].${group}`, targets));
    return out;
  });
};

/** A Python tuple written as a string, `("a", "b")` or `(a, b)`. */
const TUPLE = /^\(\s*(.*?)\s*,?\s*\)$/s;

/** `[['a', 'b'], …]`; a group may also be written as LiteLLM's Python tuple, `('a', 'b')`. */
export const cachingGroups: Check<string[][]> = (path, value) => {
  if (!Array.isArray(value)) throw new RouterConfigError(path, `must be a list of lists of model group names, got ${describeValue(value)}`);
  return value.map((group: unknown, i) => {
    const tuple = typeof group === 'string' ? TUPLE.exec(group.trim()) : null;
    const names = tuple ? tuple[1]!.split(',').map((s) => s.trim().replace(/^(['"])(.*)\1$/, '$2')) : group;
    if (!Array.isArray(names) || names.length === 0) {
      throw new RouterConfigError(`${path}[${i}]`, `must be a non-empty list of model group names, got ${describeValue(group)}`);
    }
    return stringList(`${path}[${i}]`, names);
  });
};

/** `{ alias: group }` or `{ alias: { model: group, hidden: true } }`: LiteLLM's `model_group_alias` (the Router checks the groups). */
export const aliasMap: Check<Record<string, string | ModelGroupAliasTarget>> = (path, value) => {
  if (!isObject(value)) throw new RouterConfigError(path, `must be a mapping of alias to model group, got ${describeValue(value)}`);
  const out: Record<string, string | ModelGroupAliasTarget> = {};
  for (const [alias, target] of Object.entries(value)) {
    const at = `${path}.${alias}`;
    if (isObject(target)) {
      const entry: ModelGroupAliasTarget = { ...target, model: nonEmptyString(`${at}.model`, target.model) };
      if (target.hidden !== undefined && target.hidden !== null) entry.hidden = boolean(`${at}.hidden`, target.hidden);
      else delete entry.hidden;
      setOwn(out, alias, entry);
    } else setOwn(out, alias, nonEmptyString(at, target));
  }
  return out;
};
