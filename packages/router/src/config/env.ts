import { describeValue } from '@llmcache/core/internal';
import { RouterConfigError } from '../errors';
import { isObject, setOwn, type Context, type Env, type Obj } from './context';

const ENV_PREFIX = 'os.environ/';

/** `environment_variables`: name → value as text (PyYAML may have made a number or boolean of it). */
export function translateEnvironmentVariables(env: Env, value: unknown): Env {
  if (value === null || value === undefined) return {};
  if (!isObject(value)) throw new RouterConfigError('environment_variables', `must be a mapping of NAME: value, got ${describeValue(value)}`);
  const out: Env = {};
  for (const [name, raw] of Object.entries(value)) {
    const path = `environment_variables.${name}`;
    if (raw === null || raw === undefined) continue;
    // An entry may itself point at the real environment.
    const resolved = resolveEnv({ env, fileVars: {}, ignored: [], sources: {} }, path, raw);
    if (!isScalar(resolved)) throw new RouterConfigError(path, `must be a string, number or boolean, got ${describeValue(resolved)}`);
    // Python's str() of a YAML boolean is True/False, which is what LiteLLM puts in os.environ.
    setOwn(out, name, typeof resolved === 'boolean' ? (resolved ? 'True' : 'False') : String(resolved));
  }
  return out;
}

/** What is left of a config value once objects and null are ruled out (`typeof null` is 'object'). */
type Scalar = string | number | boolean | bigint | symbol | undefined | ((...args: never[]) => unknown);

function isScalar(value: unknown): value is Scalar {
  return typeof value !== 'object';
}

/** Replaces every `os.environ/NAME` string inside `value` by `env[NAME]`. */
export function resolveEnv(ctx: Context, path: string, value: unknown): unknown {
  if (typeof value === 'string') {
    if (!value.startsWith(ENV_PREFIX)) return value;
    const name = value.slice(ENV_PREFIX.length);
    if (name === '') throw new RouterConfigError(path, `"${value}" names no environment variable`);
    const resolved = ctx.env[name];
    if (resolved === undefined) throw new RouterConfigError(path, `environment variable ${name} is not set (from "${value}")`);
    return resolved;
  }
  if (Array.isArray(value)) return value.map((item, i) => resolveEnv(ctx, `${path}[${i}]`, item));
  if (isObject(value)) {
    const out: Obj = {};
    for (const [k, v] of Object.entries(value)) setOwn(out, k, resolveEnv(ctx, `${path}.${k}`, v));
    return out;
  }
  return value;
}
