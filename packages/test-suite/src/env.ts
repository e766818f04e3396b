import { isThenable } from '@llmcache/core/internal';

/**
 * Runs `fn` with `vars` set in `process.env` (`undefined` removes one), then puts the environment back,
 * once `fn` returns or, when it returns a promise, once that settles.
 */
export function withEnv<T>(vars: Record<string, string | undefined>, fn: () => T): T {
  const saved = Object.fromEntries(Object.keys(vars).map((name) => [name, process.env[name]]));
  const apply = (values: Record<string, string | undefined>) => {
    for (const [name, value] of Object.entries(values)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
  apply(vars);
  let result: T;
  try {
    result = fn();
  } catch (err) {
    apply(saved);
    throw err;
  }
  if (isThenable(result)) return Promise.resolve(result).finally(() => apply(saved)) as T;
  apply(saved);
  return result;
}
