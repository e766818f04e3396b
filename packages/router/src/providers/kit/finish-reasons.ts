// The native APIs' reasons for stopping, as OpenAI's `finish_reason`s.

/** Anthropic's `stop_reason`s. */
export const ANTHROPIC_STOP_REASONS: Readonly<Record<string, string>> = {
  end_turn: 'stop',
  stop_sequence: 'stop',
  max_tokens: 'length',
  tool_use: 'tool_calls',
};

/** Bedrock Converse's `stopReason`s: Anthropic's names, and its own for a guardrail or filter that stepped in. */
export const CONVERSE_STOP_REASONS: Readonly<Record<string, string>> = {
  ...ANTHROPIC_STOP_REASONS,
  guardrail_intervened: 'content_filter',
  content_filtered: 'content_filter',
};

/** Gemini's `finishReason`s; any other is sent lower-cased. */
export const GEMINI_FINISH_REASONS: Readonly<Record<string, string>> = {
  STOP: 'stop',
  MAX_TOKENS: 'length',
  SAFETY: 'content_filter',
  RECITATION: 'content_filter',
  BLOCKLIST: 'content_filter',
  PROHIBITED_CONTENT: 'content_filter',
  SPII: 'content_filter',
  IMAGE_SAFETY: 'content_filter',
};

/** `reason` as `map` names it; a reason the map does not know passes as it is, none at all is `stop`. */
export function mappedReason(map: Readonly<Record<string, string>>, reason: string | null | undefined): string {
  return map[reason ?? ''] ?? reason ?? 'stop';
}
