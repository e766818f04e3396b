// Provider settings read from a config's `environment_variables`, as LiteLLM finds them in os.environ after
// loading the file. Providers read process.env themselves; these entries never reach process.env, so the
// config hands them to its deployments as params instead (keys, endpoints, AWS and Vertex AI credentials).
import { resolveProvider } from '../providers';
import { snakeCase } from '../providers/kit/native-params';

/**
 * The params a deployment of `model` takes from `vars`: for each param its provider reads from the
 * environment (`Provider.envParams`), the first of its variables set in `vars`. Params `given` already has,
 * in either spelling, are left out.
 */
export function providerEnvDefaults(
  model: string,
  vars: Readonly<Record<string, string | undefined>>,
  given: Readonly<Record<string, unknown>> = {},
): Record<string, string> {
  const out: Record<string, string> = {};
  const names = resolveProvider(model)?.provider.envParams;
  for (const [param, envNames] of Object.entries(names ?? {})) {
    if (given[param] !== undefined || given[snakeCase(param)] !== undefined) continue;
    const value = envNames.map((name) => (Object.hasOwn(vars, name) ? vars[name] : undefined)).find((v) => v !== undefined && v !== '');
    if (value !== undefined) out[param] = value;
  }
  return out;
}
