export { startUpstream, BAD_API_KEY } from './server';
export type { BodyStep, CallFilter, EmbeddingSource, RawStreamStep, RecordedCall, ReplySource, Step, Upstream, UpstreamOptions } from './types';
export { fakeEmbedding, EMBEDDING_DIMENSIONS } from './embedding';
export { defaultReply } from './text';
export { defaultTranscript } from './transcriptions';
export {
  CONTEXT_LENGTH_MESSAGE,
  ANTHROPIC_CONTEXT_LENGTH_MESSAGE,
  BEDROCK_CONTEXT_LENGTH_MESSAGE,
  CONTEXT_OVERFLOW_PHRASE,
  SAFETY_BLOCK_PHRASE,
  TOOL_TRIGGER_PHRASE,
} from './errors';
export { TOKEN_LIFETIME_SECONDS } from './google-token';
