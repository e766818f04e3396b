// Token counts in OpenAI's shape, whatever names the provider counts them under.

export interface TokenUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

/** OpenAI's usage object; the total is the provider's own when it gives one, else the sum. */
export function usageOf(prompt: number, completion: number, total = prompt + completion): TokenUsage {
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: total };
}
