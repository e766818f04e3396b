import { PARAM_FILE_NAMES } from './model-list';

/**
 * The config file path of a Router option path, so that an error the Router finds names the place in the file:
 * `modelList[2].params.apiBase` → `model_list[2].litellm_params.api_base`, `fallbacks[0]` → `router_settings.fallbacks[0]`.
 */
export function configPathOf(option: string, sources: Readonly<Record<string, string>>): string {
  const deployment = /^modelList\[(\d+)\](?:\.(params|modelName|info)(.*))?$/.exec(option);
  if (deployment) {
    const [, i, part, rest = ''] = deployment;
    if (!part) return `model_list[${i}]${rest}`;
    if (part === 'modelName') return `model_list[${i}].model_name${rest}`;
    if (part === 'info') return `model_list[${i}].model_info${rest}`;
    const param = /^\.([A-Za-z_]+)(.*)$/.exec(rest);
    return param ? `model_list[${i}].litellm_params.${PARAM_FILE_NAMES.get(param[1]!) ?? param[1]}${param[2]}` : `model_list[${i}].litellm_params${rest}`;
  }
  // An option the file set under a name of its own (`redis.port` ← `router_settings.redis_port`).
  if (Object.hasOwn(sources, option)) return sources[option]!;
  const top = /^([A-Za-z]+)(.*)$/.exec(option);
  const source = top ? sources[top[1]!] : undefined;
  return source ? `${source}${top![2]}` : option;
}

/**
 * Whether a string given to `fromConfig` is meant as a file name rather than YAML text: one line, not a flow
 * mapping or list, no `key: value`, and a config file's extension or a path separator.
 */
export function looksLikeConfigPath(text: string): boolean {
  if (/[\n\r]/.test(text) || /^\s*[{[]/.test(text) || /:\s/.test(text)) return false;
  return /\.(ya?ml|json)$/i.test(text) || /[/\\]/.test(text);
}
