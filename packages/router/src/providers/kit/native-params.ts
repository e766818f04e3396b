// A native provider's own deployment params (`awsRegionName`, `vertexProject`, …) reach it among the
// request params, as every deployment param the router does not consume does. They configure the call
// and must never be sent to the API, so they are taken out here.
import type { ProviderParams } from '../provider';

/** `awsRegionName` → `aws_region_name`: LiteLLM's spelling, accepted too. */
export function snakeCase(name: string): string {
  return name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}

/**
 * Splits `params` into the named settings (camelCase or LiteLLM's snake_case; camelCase wins) and the
 * rest, which is what goes to the API.
 */
export function takeSettings<Name extends string>(
  params: ProviderParams,
  names: readonly Name[],
): { settings: Partial<Record<Name, unknown>>; rest: ProviderParams } {
  const rest: ProviderParams = { ...params };
  const settings: Partial<Record<Name, unknown>> = {};
  for (const name of names) {
    const snake = snakeCase(name);
    const value = rest[name] ?? rest[snake];
    delete rest[name];
    delete rest[snake];
    if (value !== undefined && value !== null && value !== '') settings[name] = value;
  }
  return { settings, rest };
}
