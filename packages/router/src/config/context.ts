import type { IgnoredConfigKey } from '../types';

// What every part of a config's translation shares: where values come from, and what was ignored.

export type Obj = Record<string, unknown>;
/** Where `os.environ/NAME` values are looked up: a plain record, so the published types need no @types/node. */
export type Env = Record<string, string | undefined>;

export interface Context {
  /** The given env with `environment_variables` over it. */
  env: Env;
  /** `environment_variables` alone: where provider defaults are looked up. */
  fileVars: Env;
  ignored: IgnoredConfigKey[];
  sources: Record<string, string>;
}

export function isObject(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `table[key]` when `key` is the table's own: config keys such as `constructor` are not Object's members. */
export function own<T>(table: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}

/** Sets `obj[key]` as plain data: a `__proto__` key (YAML and JSON.parse make one) stays a key, not a prototype. */
export function setOwn(obj: Obj, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
}

/** Records an ignored key and why, unless it holds nothing (null, `{}`, `[]`). */
export function ignore(ctx: Context, path: string, value: unknown, reason: string): void {
  if (value === null || value === undefined) return;
  if (Array.isArray(value) ? value.length === 0 : isObject(value) && Object.keys(value).length === 0) return;
  ctx.ignored.push({ path, reason });
}
