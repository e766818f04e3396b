// The types of `openai` 7 that the drop-in type test (openai-drop-in.ts) checks the router against.
import type * as openai from 'openai/resources';

export interface OpenAI7 {
  NonStreaming: openai.ChatCompletionCreateParamsNonStreaming;
  Streaming: openai.ChatCompletionCreateParamsStreaming;
  Either: openai.ChatCompletionCreateParams;
  MessageParam: openai.ChatCompletionMessageParam;
  EmbeddingParams: openai.EmbeddingCreateParams;
  TextParams: openai.CompletionCreateParamsNonStreaming;
  TextStreamParams: openai.CompletionCreateParamsStreaming;
  ChatCompletion: openai.ChatCompletion;
  ChatCompletionChunk: openai.ChatCompletionChunk;
  TextCompletion: openai.Completion;
  EmbeddingResponse: openai.CreateEmbeddingResponse;
}
