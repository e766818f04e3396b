// Where a provider's settings come from when a deployment does not give them: environment variables under
// LiteLLM's names, read at call time (so a variable set after the router was built still counts, as in LiteLLM).

/** The first of `names` set (and not empty) in `env`. */
export function fromEnv(names: readonly string[] | undefined, env: Readonly<Record<string, string | undefined>> = process.env): string | undefined {
  for (const name of names ?? []) {
    const value = Object.hasOwn(env, name) ? env[name] : undefined;
    if (value) return value;
  }
  return undefined;
}
