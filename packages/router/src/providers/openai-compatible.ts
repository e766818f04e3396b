// Every provider whose API speaks OpenAI's, one row each, with LiteLLM's prefix, default endpoint and
// environment variables. Adding a provider is adding a row: the router has no branch per provider.
// Each row was checked against LiteLLM's source (`get_llm_provider_logic.py`'s
// `_get_openai_compatible_provider_info`, the providers' `litellm/llms/<name>/chat/transformation.py`
// configs, and `main.py`): defaults and variable names are LiteLLM's, in LiteLLM's order.
import { RouterConfigError } from '../errors';
import { ChatOverCompletions } from './chat-over-completions';
import { fromEnv } from './env';
import { OpenAiProvider, trimSlash, type OpenAiOperation } from './openai';
import { refusedBesides } from './openai-params';
import type { Provider, ProviderTarget } from './provider';

/** A call an OpenAI-compatible API may have. */
export type CompatibleCall = 'chat' | 'text_completion' | 'embedding' | 'transcription';

/** One OpenAI-compatible provider. */
export interface CompatibleProviderRow {
  /** The model prefix, e.g. `groq` in `groq/llama-3.1-8b-instant`. */
  prefix: string;
  /** Endpoint used when neither `apiBase` nor a `baseEnv` variable is set; undefined when one of them is required. */
  defaultBase: string | undefined;
  /** Environment variables read for the endpoint, the first one set wins. */
  baseEnv: readonly string[];
  /** Environment variables read for the key, sent as `Authorization: Bearer`; the first one set wins; none set sends no key. */
  keyEnv: readonly string[];
  /** The calls its API has; any other is a 400 made without a request. */
  calls: readonly CompatibleCall[];
  /**
   * Appended to an endpoint that does not end with it, as LiteLLM does for Mistral (`/v1`); for Gemini, the
   * path of Google's OpenAI-compatible API under the endpoint LiteLLM's `GEMINI_API_BASE` names.
   */
  versionPath?: string;
  /**
   * The OpenAI chat params LiteLLM translates for it (its `get_supported_openai_params`); `dropParams` drops
   * the others. @default all of them
   */
  accepts?: readonly string[];
  /** Params the API takes under another name, renamed as LiteLLM sends them (`seed` → Mistral's `random_seed`). @default none */
  renames?: Readonly<Record<string, string>>;
  /** Chat goes to /completions, the messages as one prompt (instruct models have no chat API). @default false */
  chatOverCompletions?: boolean;
}

const ALL: readonly CompatibleCall[] = ['chat', 'text_completion', 'embedding', 'transcription'];
const OPENAI_BASE_ENV = ['OPENAI_BASE_URL', 'OPENAI_API_BASE'];
/** LiteLLM sends `max_completion_tokens` as `max_tokens` to the APIs that only know the older name. */
const MAX_TOKENS = { max_completion_tokens: 'max_tokens' };

/** The OpenAI-compatible providers, as LiteLLM names and configures them. */
export const COMPATIBLE_PROVIDERS: readonly CompatibleProviderRow[] = [
  { prefix: 'openai', defaultBase: 'https://api.openai.com/v1', baseEnv: OPENAI_BASE_ENV, keyEnv: ['OPENAI_API_KEY'], calls: ALL },
  // Instruct models answer on /completions only: chat is translated to it, as LiteLLM does.
  {
    prefix: 'text-completion-openai',
    defaultBase: 'https://api.openai.com/v1',
    baseEnv: OPENAI_BASE_ENV,
    keyEnv: ['OPENAI_API_KEY'],
    calls: ['chat', 'text_completion'],
    chatOverCompletions: true,
  },
  // LiteLLM would fall back to OpenAI's own endpoint; a custom server without its URL is a mistake, said at the first call.
  { prefix: 'custom_openai', defaultBase: undefined, baseEnv: OPENAI_BASE_ENV, keyEnv: ['OPENAI_API_KEY'], calls: ['chat', 'text_completion', 'embedding'] },
  {
    prefix: 'openrouter',
    defaultBase: 'https://openrouter.ai/api/v1',
    baseEnv: ['OPENROUTER_API_BASE'],
    keyEnv: ['OPENROUTER_API_KEY', 'OR_API_KEY'],
    calls: ['chat', 'text_completion'],
  },
  { prefix: 'groq', defaultBase: 'https://api.groq.com/openai/v1', baseEnv: ['GROQ_API_BASE'], keyEnv: ['GROQ_API_KEY'], calls: ['chat', 'transcription'] },
  {
    // LiteLLM reads only the Azure-hosted Mistral's variables for the endpoint, and adds /v1 to one without it.
    prefix: 'mistral',
    defaultBase: 'https://api.mistral.ai/v1',
    baseEnv: ['MISTRAL_AZURE_API_BASE'],
    keyEnv: ['MISTRAL_AZURE_API_KEY', 'MISTRAL_API_KEY'],
    calls: ['chat', 'embedding'],
    versionPath: '/v1',
    accepts: ['max_tokens', 'max_completion_tokens', 'temperature', 'top_p', 'tools', 'tool_choice', 'seed', 'stop', 'response_format', 'parallel_tool_calls'],
    renames: { ...MAX_TOKENS, seed: 'random_seed' },
  },
  {
    prefix: 'together_ai',
    defaultBase: 'https://api.together.xyz/v1',
    baseEnv: ['TOGETHER_AI_API_BASE'],
    keyEnv: ['TOGETHER_API_KEY', 'TOGETHER_AI_API_KEY', 'TOGETHERAI_API_KEY', 'TOGETHER_AI_TOKEN'],
    calls: ['chat', 'text_completion', 'embedding'],
  },
  { prefix: 'deepseek', defaultBase: 'https://api.deepseek.com/beta', baseEnv: ['DEEPSEEK_API_BASE'], keyEnv: ['DEEPSEEK_API_KEY'], calls: ['chat'] },
  {
    prefix: 'fireworks_ai',
    defaultBase: 'https://api.fireworks.ai/inference/v1',
    baseEnv: ['FIREWORKS_API_BASE'],
    keyEnv: ['FIREWORKS_API_KEY', 'FIREWORKS_AI_API_KEY', 'FIREWORKSAI_API_KEY', 'FIREWORKS_AI_TOKEN'],
    calls: ['chat', 'text_completion', 'embedding'],
    accepts: [
      'max_tokens',
      'max_completion_tokens',
      'temperature',
      'top_p',
      'frequency_penalty',
      'presence_penalty',
      'n',
      'stop',
      'response_format',
      'user',
      'logprobs',
      'top_logprobs',
      'seed',
      'logit_bias',
      'prediction',
      'tools',
      'parallel_tool_calls',
      'tool_choice',
    ],
    renames: MAX_TOKENS,
  },
  {
    prefix: 'perplexity',
    defaultBase: 'https://api.perplexity.ai',
    baseEnv: ['PERPLEXITY_API_BASE'],
    keyEnv: ['PERPLEXITYAI_API_KEY', 'PERPLEXITY_API_KEY'],
    calls: ['chat'],
    accepts: ['frequency_penalty', 'max_tokens', 'max_completion_tokens', 'presence_penalty', 'response_format', 'temperature', 'top_p'],
  },
  {
    prefix: 'xai',
    defaultBase: 'https://api.x.ai/v1',
    baseEnv: ['XAI_API_BASE'],
    keyEnv: ['XAI_API_KEY'],
    calls: ['chat'],
    accepts: [
      'logit_bias',
      'logprobs',
      'max_completion_tokens',
      'max_tokens',
      'n',
      'parallel_tool_calls',
      'presence_penalty',
      'response_format',
      'seed',
      'temperature',
      'tool_choice',
      'tools',
      'top_logprobs',
      'top_p',
      'user',
      'stop',
      'frequency_penalty',
    ],
    renames: MAX_TOKENS,
  },
  {
    prefix: 'deepinfra',
    defaultBase: 'https://api.deepinfra.com/v1/openai',
    baseEnv: ['DEEPINFRA_API_BASE'],
    keyEnv: ['DEEPINFRA_API_KEY'],
    calls: ['chat', 'text_completion', 'embedding'],
    accepts: [
      'frequency_penalty',
      'function_call',
      'functions',
      'logit_bias',
      'max_tokens',
      'max_completion_tokens',
      'n',
      'presence_penalty',
      'stop',
      'temperature',
      'top_p',
      'response_format',
      'tools',
      'tool_choice',
    ],
    renames: MAX_TOKENS,
  },
  {
    prefix: 'cerebras',
    defaultBase: 'https://api.cerebras.ai/v1',
    baseEnv: ['CEREBRAS_API_BASE'],
    keyEnv: ['CEREBRAS_API_KEY'],
    calls: ['chat', 'text_completion'],
    accepts: ['max_tokens', 'max_completion_tokens', 'response_format', 'seed', 'stop', 'temperature', 'top_p', 'tool_choice', 'tools', 'user'],
    renames: MAX_TOKENS,
  },
  {
    prefix: 'nvidia_nim',
    defaultBase: 'https://integrate.api.nvidia.com/v1',
    baseEnv: ['NVIDIA_NIM_API_BASE'],
    keyEnv: ['NVIDIA_NIM_API_KEY'],
    calls: ['chat', 'embedding'],
    accepts: [
      'temperature',
      'top_p',
      'frequency_penalty',
      'presence_penalty',
      'max_tokens',
      'max_completion_tokens',
      'stop',
      'seed',
      'tools',
      'tool_choice',
      'parallel_tool_calls',
      'response_format',
    ],
    renames: MAX_TOKENS,
  },
  // Hugging Face's inference router; its embeddings are not OpenAI-shaped.
  {
    prefix: 'huggingface',
    defaultBase: 'https://router.huggingface.co/v1',
    baseEnv: ['HF_API_BASE', 'HUGGINGFACE_API_BASE'],
    keyEnv: ['HF_TOKEN', 'HUGGINGFACE_API_KEY'],
    calls: ['chat'],
  },
  // Google AI Studio: LiteLLM's GEMINI_API_BASE is its root; the same key and models answer OpenAI's shape under /v1beta/openai.
  {
    prefix: 'gemini',
    defaultBase: 'https://generativelanguage.googleapis.com',
    baseEnv: ['GEMINI_API_BASE'],
    keyEnv: ['GOOGLE_API_KEY', 'GEMINI_API_KEY'],
    calls: ['chat', 'embedding'],
    versionPath: '/v1beta/openai',
    accepts: [
      'temperature',
      'top_p',
      'max_tokens',
      'max_completion_tokens',
      'tools',
      'tool_choice',
      'functions',
      'response_format',
      'n',
      'stop',
      'logprobs',
      'frequency_penalty',
      'modalities',
      'parallel_tool_calls',
    ],
  },
  { prefix: 'hosted_vllm', defaultBase: undefined, baseEnv: ['HOSTED_VLLM_API_BASE'], keyEnv: ['HOSTED_VLLM_API_KEY'], calls: ALL },
  // LiteLLM has no default for LM Studio either: the server's URL (e.g. http://localhost:1234/v1) is required.
  {
    prefix: 'lm_studio',
    defaultBase: undefined,
    baseEnv: ['LM_STUDIO_API_BASE'],
    keyEnv: ['LM_STUDIO_API_KEY'],
    calls: ['chat', 'text_completion', 'embedding'],
  },
];

const OPERATIONS: Readonly<Record<CompatibleCall, OpenAiOperation>> = {
  chat: 'chat/completions',
  text_completion: 'completions',
  embedding: 'embeddings',
  transcription: 'audio/transcriptions',
};

function endpointOf(row: CompatibleProviderRow, target: ProviderTarget): string {
  // Read at call time, so that an environment set after the router was built still counts (as LiteLLM).
  const base = target.apiBase ?? fromEnv(row.baseEnv) ?? row.defaultBase;
  if (base === undefined) {
    throw new RouterConfigError(
      'apiBase',
      `${row.prefix}/ models need apiBase (api_base) or ${row.baseEnv.join(' or ')}: the server's OpenAI-compatible URL, e.g. http://localhost:8000/v1`,
    );
  }
  const trimmed = trimSlash(base);
  return row.versionPath && !trimmed.endsWith(row.versionPath) ? `${trimmed}${row.versionPath}` : trimmed;
}

/** The provider a row describes: OpenAI's protocol at the row's endpoint, with its key. */
export function compatibleProvider(row: CompatibleProviderRow): Provider {
  const provider = new OpenAiProvider({
    name: row.prefix,
    url: (target, operation) => `${endpointOf(row, target)}/${operation}`,
    headers: (target): Record<string, string> => {
      const key = target.apiKey ?? fromEnv(row.keyEnv);
      return key ? { authorization: `Bearer ${key}` } : {};
    },
    sendsModel: true,
    serves: new Set(row.calls.filter((call) => !(call === 'chat' && row.chatOverCompletions)).map((call) => OPERATIONS[call])),
    unsupportedParams: row.accepts ? refusedBesides(row.accepts) : new Set(),
    renames: row.renames,
    envParams: { apiKey: row.keyEnv, apiBase: row.baseEnv },
  });
  return row.chatOverCompletions ? new ChatOverCompletions(provider) : provider;
}
