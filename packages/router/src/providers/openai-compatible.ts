// Every provider whose API speaks OpenAI's, one row each, with LiteLLM's prefix, default endpoint and
// environment variables. Adding a provider is adding a row: the router has no branch per provider.
import { RouterConfigError } from '../errors';
import { ChatOverCompletions } from './chat-over-completions';
import { OpenAiProvider, trimSlash, type OpenAiOperation } from './openai';
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
   * Appended to an endpoint that does not end with it: Ollama's documented `api_base` is the server root
   * (`http://localhost:11434`) and its OpenAI-compatible API lives under `/v1`.
   */
  versionPath?: string;
  /** OpenAI params its API refuses: dropped when `dropParams` is on. @default none */
  rejects?: readonly string[];
  /** Chat goes to /completions, the messages as one prompt (instruct models have no chat API). @default false */
  chatOverCompletions?: boolean;
}

const ALL: readonly CompatibleCall[] = ['chat', 'text_completion', 'embedding', 'transcription'];

/** The OpenAI-compatible providers, as LiteLLM names and configures them. */
export const COMPATIBLE_PROVIDERS: readonly CompatibleProviderRow[] = [
  { prefix: 'openai', defaultBase: 'https://api.openai.com/v1', baseEnv: ['OPENAI_API_BASE'], keyEnv: ['OPENAI_API_KEY'], calls: ALL },
  // Instruct models answer on /completions only: chat is translated to it, as LiteLLM does.
  {
    prefix: 'text-completion-openai', defaultBase: 'https://api.openai.com/v1', baseEnv: ['OPENAI_API_BASE'], keyEnv: ['OPENAI_API_KEY'], calls: ['chat', 'text_completion'],
    chatOverCompletions: true,
  },
  { prefix: 'custom_openai', defaultBase: undefined, baseEnv: ['OPENAI_API_BASE'], keyEnv: ['OPENAI_API_KEY'], calls: ['chat', 'text_completion', 'embedding'] },
  { prefix: 'openrouter', defaultBase: 'https://openrouter.ai/api/v1', baseEnv: ['OPENROUTER_API_BASE'], keyEnv: ['OPENROUTER_API_KEY', 'OR_API_KEY'], calls: ['chat', 'text_completion'] },
  {
    prefix: 'groq', defaultBase: 'https://api.groq.com/openai/v1', baseEnv: ['GROQ_API_BASE'], keyEnv: ['GROQ_API_KEY'], calls: ['chat', 'transcription'],
    rejects: ['logprobs', 'top_logprobs', 'logit_bias'],
  },
  {
    // Mistral refuses fields it does not know (422); its seed is `random_seed`.
    prefix: 'mistral', defaultBase: 'https://api.mistral.ai/v1', baseEnv: ['MISTRAL_API_BASE'], keyEnv: ['MISTRAL_API_KEY'], calls: ['chat', 'embedding'],
    rejects: ['logit_bias', 'logprobs', 'top_logprobs', 'seed', 'user'],
  },
  {
    prefix: 'together_ai', defaultBase: 'https://api.together.xyz/v1', baseEnv: ['TOGETHERAI_API_BASE'],
    keyEnv: ['TOGETHERAI_API_KEY', 'TOGETHER_API_KEY', 'TOGETHER_AI_API_KEY', 'TOGETHER_AI_TOKEN'], calls: ['chat', 'text_completion', 'embedding'],
  },
  { prefix: 'deepseek', defaultBase: 'https://api.deepseek.com', baseEnv: ['DEEPSEEK_API_BASE'], keyEnv: ['DEEPSEEK_API_KEY'], calls: ['chat'], rejects: ['logit_bias'] },
  {
    prefix: 'fireworks_ai', defaultBase: 'https://api.fireworks.ai/inference/v1', baseEnv: ['FIREWORKS_API_BASE', 'FIREWORKS_AI_API_BASE'],
    keyEnv: ['FIREWORKS_AI_API_KEY', 'FIREWORKS_API_KEY', 'FIREWORKSAI_API_KEY', 'FIREWORKS_AI_TOKEN'], calls: ['chat', 'text_completion', 'embedding'],
  },
  {
    prefix: 'perplexity', defaultBase: 'https://api.perplexity.ai', baseEnv: ['PERPLEXITY_API_BASE'], keyEnv: ['PERPLEXITYAI_API_KEY', 'PERPLEXITY_API_KEY'], calls: ['chat'],
    rejects: ['seed', 'logit_bias', 'logprobs', 'top_logprobs', 'n', 'tools', 'tool_choice', 'parallel_tool_calls'],
  },
  { prefix: 'xai', defaultBase: 'https://api.x.ai/v1', baseEnv: ['XAI_API_BASE'], keyEnv: ['XAI_API_KEY'], calls: ['chat'] },
  { prefix: 'deepinfra', defaultBase: 'https://api.deepinfra.com/v1/openai', baseEnv: ['DEEPINFRA_API_BASE'], keyEnv: ['DEEPINFRA_API_KEY'], calls: ['chat', 'text_completion', 'embedding'] },
  {
    prefix: 'cerebras', defaultBase: 'https://api.cerebras.ai/v1', baseEnv: ['CEREBRAS_API_BASE'], keyEnv: ['CEREBRAS_API_KEY'], calls: ['chat', 'text_completion'],
    rejects: ['frequency_penalty', 'presence_penalty', 'logit_bias'],
  },
  { prefix: 'nvidia_nim', defaultBase: 'https://integrate.api.nvidia.com/v1', baseEnv: ['NVIDIA_NIM_API_BASE'], keyEnv: ['NVIDIA_NIM_API_KEY'], calls: ['chat', 'embedding'] },
  // Hugging Face's inference router; its embeddings are not OpenAI-shaped.
  { prefix: 'huggingface', defaultBase: 'https://router.huggingface.co/v1', baseEnv: ['HF_API_BASE', 'HUGGINGFACE_API_BASE'], keyEnv: ['HF_TOKEN', 'HUGGINGFACE_API_KEY'], calls: ['chat'] },
  // Google's OpenAI-compatible endpoint for Gemini (not Vertex AI).
  {
    prefix: 'gemini', defaultBase: 'https://generativelanguage.googleapis.com/v1beta/openai', baseEnv: ['GEMINI_API_BASE'], keyEnv: ['GEMINI_API_KEY', 'GOOGLE_API_KEY'],
    calls: ['chat', 'embedding'], rejects: ['logit_bias'],
  },
  // LiteLLM calls Ollama's native /api/generate and /api/chat; its /v1 API answers the same models in OpenAI's shape.
  { prefix: 'ollama', defaultBase: 'http://localhost:11434', baseEnv: ['OLLAMA_API_BASE'], keyEnv: ['OLLAMA_API_KEY'], calls: ['chat', 'text_completion', 'embedding'], versionPath: '/v1' },
  { prefix: 'ollama_chat', defaultBase: 'http://localhost:11434', baseEnv: ['OLLAMA_API_BASE'], keyEnv: ['OLLAMA_API_KEY'], calls: ['chat', 'text_completion', 'embedding'], versionPath: '/v1' },
  { prefix: 'hosted_vllm', defaultBase: undefined, baseEnv: ['HOSTED_VLLM_API_BASE'], keyEnv: ['HOSTED_VLLM_API_KEY'], calls: ALL },
  { prefix: 'lm_studio', defaultBase: 'http://localhost:1234/v1', baseEnv: ['LM_STUDIO_API_BASE'], keyEnv: ['LM_STUDIO_API_KEY'], calls: ['chat', 'text_completion', 'embedding'] },
];

const OPERATIONS: Readonly<Record<CompatibleCall, OpenAiOperation>> = {
  chat: 'chat/completions',
  text_completion: 'completions',
  embedding: 'embeddings',
  transcription: 'audio/transcriptions',
};

/** The first of `names` that is set (and not empty) in the environment. */
function fromEnv(names: readonly string[]): string | undefined {
  for (const name of names) {
    const value = process.env[name];
    if (value) return value;
  }
  return undefined;
}

function endpointOf(row: CompatibleProviderRow, target: ProviderTarget): string {
  // Read at call time, so that an environment set after the router was built still counts (as LiteLLM).
  const base = target.apiBase ?? fromEnv(row.baseEnv) ?? row.defaultBase;
  if (base === undefined) {
    throw new RouterConfigError('apiBase', `${row.prefix}/ models need apiBase (api_base) or ${row.baseEnv.join(' or ')}: the server's OpenAI-compatible URL, e.g. http://localhost:8000/v1`);
  }
  const trimmed = trimSlash(base);
  return row.versionPath && !trimmed.endsWith(row.versionPath) ? `${trimmed}${row.versionPath}` : trimmed;
}

/** The provider a row describes: OpenAI's protocol at the row's endpoint, with its key. */
export function compatibleProvider(row: CompatibleProviderRow): Provider {
  const provider = new OpenAiProvider({
    name: row.prefix,
    url: (target, operation) => `${endpointOf(row, target)}/${operation}`,
    headers: (target) => {
      const key = target.apiKey ?? fromEnv(row.keyEnv);
      return key ? { authorization: `Bearer ${key}` } : ({} as Record<string, string>);
    },
    sendsModel: true,
    serves: new Set(row.calls.filter((call) => !(call === 'chat' && row.chatOverCompletions)).map((call) => OPERATIONS[call])),
    unsupportedParams: new Set(row.rejects ?? []),
  });
  return row.chatOverCompletions ? new ChatOverCompletions(provider) : provider;
}
