import { anthropicProvider } from './anthropic/provider';
import { azureProvider } from './azure';
import { bedrockProvider } from './bedrock/provider';
import { COMPATIBLE_PROVIDERS, compatibleProvider } from './openai-compatible';
import { ollamaChatProvider, ollamaProvider } from './ollama/provider';
import type { Provider } from './provider';
import { vertexProvider } from './vertex/provider';

export type { Provider, ProviderParams, ProviderTarget, TranscriptionUpload } from './provider';
export { ClientPool } from './client-pool';
export { withCall, type OptionalCall } from './unsupported-call';
export type { PlainChatCompletion, PlainChunk, PlainEmbeddingResponse, PlainMessage, PlainTextCompletion, PlainToolCall, PlainTranscription } from './provider';
export { COMPATIBLE_PROVIDERS, type CompatibleCall, type CompatibleProviderRow } from './openai-compatible';

const BY_PREFIX: Readonly<Record<string, Provider>> = {
  ...Object.fromEntries(COMPATIBLE_PROVIDERS.map((row) => [row.prefix, compatibleProvider(row)])),
  azure: azureProvider,
  anthropic: anthropicProvider,
  // Ollama's own API (/api/generate, /api/chat, /api/embed), as LiteLLM calls it.
  ollama: ollamaProvider,
  ollama_chat: ollamaChatProvider,
  // Native APIs whose SDKs are optional peers, loaded on the first call.
  bedrock: bedrockProvider,
  vertex_ai: vertexProvider,
};

export const PROVIDER_NAMES = Object.keys(BY_PREFIX);

// The families LiteLLM recognises without a prefix.
const OPENAI_MODELS = /^(gpt-|chatgpt-|o[1-9](-|$)|text-embedding-|whisper-|dall-e-|tts-|davinci|babbage|omni-moderation)/;

/** `openai/gpt-4o` → the OpenAI provider and `gpt-4o`; a bare known name infers its provider; undefined when neither works. */
export function resolveProvider(model: string): { provider: Provider; model: string } | undefined {
  const slash = model.indexOf('/');
  if (slash > 0) {
    const prefix = model.slice(0, slash);
    // Own names only: `constructor/x` names no provider.
    const provider = Object.hasOwn(BY_PREFIX, prefix) ? BY_PREFIX[prefix] : undefined;
    return provider ? { provider, model: model.slice(slash + 1) } : undefined;
  }
  if (OPENAI_MODELS.test(model)) return { provider: BY_PREFIX.openai!, model };
  if (model.startsWith('claude-')) return { provider: anthropicProvider, model };
  return undefined;
}

/** Why `model` names no provider, what the prefixes are, and the way to reach any OpenAI-compatible server. */
export function unknownProviderMessage(model: string): string {
  const slash = model.indexOf('/');
  const name = slash > 0 ? model.slice(slash + 1) : model;
  const reason =
    slash > 0
      ? `"${model.slice(0, slash)}" is not a provider prefix`
      : 'it has no provider/ prefix and is no model family known without one (gpt-…, o1…, text-embedding-…, claude-…)';
  return (
    `cannot tell the provider of "${model}": ${reason}. Prefixes: ${PROVIDER_NAMES.join(', ')}. ` +
    `For any OpenAI-compatible server, write openai/${name} with apiBase (api_base) set to its URL`
  );
}
