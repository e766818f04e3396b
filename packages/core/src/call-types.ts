/** Call types a cache can serve. The `a*` names are LiteLLM's async aliases and mean the same call. */
export const CALL_TYPES = ['completion', 'embedding', 'transcription', 'text_completion'] as const;
export type CallType = (typeof CALL_TYPES)[number];
export type CallTypeName = CallType | `a${CallType}`;

export const DEFAULT_SUPPORTED_CALL_TYPES: readonly CallTypeName[] = [
  'completion',
  'acompletion',
  'embedding',
  'aembedding',
  'transcription',
  'atranscription',
  'text_completion',
  'atext_completion',
];

/** Maps an alias (`acompletion`) to its call type (`completion`); undefined for an unknown name. */
export function normalizeCallType(name: string): CallType | undefined {
  if ((CALL_TYPES as readonly string[]).includes(name)) return name as CallType;
  if (name.startsWith('a') && (CALL_TYPES as readonly string[]).includes(name.slice(1))) return name.slice(1) as CallType;
  return undefined;
}
