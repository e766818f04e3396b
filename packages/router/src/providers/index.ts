import { anthropicProvider } from './anthropic';
import { azureProvider } from './azure';
import { openAiProvider } from './openai';
import type { Provider } from './provider';

export type { Provider, ProviderParams, ProviderTarget, TranscriptionUpload } from './provider';
export type { PlainChatCompletion, PlainEmbeddingResponse, PlainTextCompletion, PlainTranscription } from './provider';

const BY_PREFIX: Readonly<Record<string, Provider>> = {
  openai: openAiProvider,
  azure: azureProvider,
  anthropic: anthropicProvider,
};

export const PROVIDER_NAMES = Object.keys(BY_PREFIX);

const OPENAI_MODELS = /^(gpt-|chatgpt-|o[1-9](-|$)|text-embedding-|whisper-|davinci|babbage|gpt-4o-transcribe|omni-moderation)/;
const ANTHROPIC_MODELS = /^claude-/;

/** `openai/gpt-4o` → the OpenAI provider and `gpt-4o`; a bare known name infers its provider; undefined when neither works. */
export function resolveProvider(model: string): { provider: Provider; model: string } | undefined {
  const slash = model.indexOf('/');
  if (slash > 0) {
    const prefix = model.slice(0, slash);
    // Own names only: `constructor/x` names no provider.
    const provider = Object.hasOwn(BY_PREFIX, prefix) ? BY_PREFIX[prefix] : undefined;
    return provider ? { provider, model: model.slice(slash + 1) } : undefined;
  }
  if (OPENAI_MODELS.test(model)) return { provider: openAiProvider, model };
  if (ANTHROPIC_MODELS.test(model)) return { provider: anthropicProvider, model };
  return undefined;
}
