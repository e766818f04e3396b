import type { OpenString } from './open-string';

// The request and answer shapes of OpenAI's API, as the `openai` package types them: a request typed
// with its `ChatCompletionCreateParams` or `EmbeddingCreateParams` can be passed as it is, and every
// answer is assignable to its `ChatCompletion`, `ChatCompletionChunk` or `CreateEmbeddingResponse`.
// Nested values that OpenAI extends often (voices, service tiers, …) are typed as open strings, so that
// params from a newer `openai` still fit; field names are closed, so a misspelt one does not compile.

export interface TextPart {
  type: 'text';
  text: string;
}

export interface ImagePart {
  type: 'image_url';
  image_url: { url: string; detail?: OpenString<'auto' | 'low' | 'high'> };
}

export interface AudioPart {
  type: 'input_audio';
  input_audio: { data: string; format: OpenString<'wav' | 'mp3'> };
}

export interface FilePart {
  type: 'file';
  file: { file_data?: string; file_id?: string; filename?: string };
}

export interface RefusalPart {
  type: 'refusal';
  refusal: string;
}

/** A part of a user message's content. */
export type ContentPart = TextPart | ImagePart | AudioPart | FilePart;

export interface FunctionToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

/** A call of a `custom` tool (free-form input instead of JSON arguments). */
export interface CustomToolCall {
  id: string;
  type: 'custom';
  custom: { name: string; input: string };
}

export type ToolCall = FunctionToolCall | CustomToolCall;

export interface SystemMessage {
  role: 'system';
  content: string | TextPart[];
  name?: string;
}

export interface DeveloperMessage {
  role: 'developer';
  content: string | TextPart[];
  name?: string;
}

export interface UserMessage {
  role: 'user';
  content: string | ContentPart[];
  name?: string;
}

/** An earlier answer sent back in the conversation; an answer's `choices[i].message` is one. */
export interface AssistantMessage {
  role: 'assistant';
  content?: string | Array<TextPart | RefusalPart> | null;
  name?: string;
  refusal?: string | null;
  tool_calls?: ToolCall[];
  /** @deprecated OpenAI's predecessor of `tool_calls`. */
  function_call?: { name: string; arguments: string } | null;
  audio?: { id: string } | null;
}

export interface ToolMessage {
  role: 'tool';
  content: string | TextPart[];
  tool_call_id: string;
}

/** @deprecated OpenAI's predecessor of `tool` messages. */
export interface FunctionMessage {
  role: 'function';
  content: string | null;
  name: string;
}

/** OpenAI chat message (`ChatCompletionMessageParam`). */
export type ChatMessage = SystemMessage | DeveloperMessage | UserMessage | AssistantMessage | ToolMessage | FunctionMessage;

export interface FunctionTool {
  type: 'function';
  function: {
    name: string;
    description?: string;
    /** A JSON Schema object. */
    parameters?: Record<string, unknown>;
    strict?: boolean | null;
  };
}

export interface CustomTool {
  type: 'custom';
  custom: {
    name: string;
    description?: string;
    format?: { type: OpenString<'text' | 'grammar'>; grammar?: { definition: string; syntax: OpenString<'lark' | 'regex'> } };
  };
}

export type Tool = FunctionTool | CustomTool;

export type ToolChoice =
  | 'none'
  | 'auto'
  | 'required'
  | { type: 'function'; function: { name: string } }
  | { type: 'custom'; custom: { name: string } }
  | { type: 'allowed_tools'; allowed_tools: { mode: 'auto' | 'required'; tools: object[] } };

export type ResponseFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | { type: 'json_schema'; json_schema: { name: string; description?: string; schema?: Record<string, unknown>; strict?: boolean | null } };
