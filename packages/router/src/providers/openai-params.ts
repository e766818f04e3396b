// The OpenAI chat params a provider may refuse, as LiteLLM lists them: its `OpenAIGPTConfig` params (without
// the transport ones, `stream`, `stream_options`, `max_retries`, `extra_headers`) plus `response_format` and
// `user`. A provider's refused params are these minus the ones LiteLLM translates for it
// (`get_supported_openai_params`), which is what `drop_params` drops there.
const OPENAI_CHAT_PARAMS = [
  'frequency_penalty',
  'logit_bias',
  'logprobs',
  'top_logprobs',
  'max_tokens',
  'max_completion_tokens',
  'modalities',
  'prediction',
  'n',
  'presence_penalty',
  'seed',
  'stop',
  'temperature',
  'top_p',
  'tools',
  'tool_choice',
  'function_call',
  'functions',
  'parallel_tool_calls',
  'audio',
  'response_format',
  'user',
] as const;

/** The OpenAI chat params not in `accepted`. */
export function refusedBesides(accepted: readonly string[]): ReadonlySet<string> {
  const ok = new Set(accepted);
  return new Set(OPENAI_CHAT_PARAMS.filter((name) => !ok.has(name)));
}
