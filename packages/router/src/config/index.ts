// Reading a LiteLLM proxy `config.yaml` into Router and Cache options: YAML 1.1 (yaml.ts), `os.environ/`
// (env.ts), `model_list` (model-list.ts), the settings tables (settings.ts), `cache_params`
// (cache-params.ts), and the file's names for the Router's options (paths.ts).
export { readLiteLLMConfig, translateLiteLLMConfig, type LiteLLMConfigTranslation } from './translate';
export { configPathOf, looksLikeConfigPath } from './paths';
export type { IgnoredConfigKey } from '../types';
