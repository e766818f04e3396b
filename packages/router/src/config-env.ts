// Provider endpoint and key defaults read from a config's `environment_variables`, as LiteLLM finds them
// in os.environ after loading the file. Providers read process.env themselves; these entries never reach
// process.env, so the config hands them to its deployments instead.
import { COMPATIBLE_PROVIDERS } from './providers';

interface EnvNames {
  apiKey: readonly string[];
  apiBase: readonly string[];
  apiVersion?: readonly string[];
}

/** The natively implemented providers' variables (the OpenAI-compatible ones come from their table). */
const NATIVE: Readonly<Record<string, EnvNames>> = {
  azure: { apiKey: ['AZURE_API_KEY'], apiBase: ['AZURE_API_BASE'], apiVersion: ['AZURE_API_VERSION'] },
  anthropic: { apiKey: ['ANTHROPIC_API_KEY'], apiBase: ['ANTHROPIC_API_BASE'] },
};

function namesFor(model: string): EnvNames | undefined {
  const prefix = model.includes('/') ? model.slice(0, model.indexOf('/')) : '';
  if (Object.hasOwn(NATIVE, prefix)) return NATIVE[prefix];
  const row = COMPATIBLE_PROVIDERS.find((r) => r.prefix === prefix);
  return row ? { apiKey: row.keyEnv, apiBase: row.baseEnv } : undefined;
}

/** `apiKey` / `apiBase` / `apiVersion` for a deployment of `model`, from the first of its provider's variables set in `vars`. */
export function providerEnvDefaults(model: string, vars: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const names = namesFor(model);
  const out: Record<string, string> = {};
  if (!names) return out;
  for (const field of ['apiKey', 'apiBase', 'apiVersion'] as const) {
    const value = names[field]?.map((name) => (Object.hasOwn(vars, name) ? vars[name] : undefined)).find((v) => v !== undefined);
    if (value !== undefined) out[field] = value;
  }
  return out;
}
