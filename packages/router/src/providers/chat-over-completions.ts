// Chat on a text-completion API, as LiteLLM's `text-completion-openai/` does for instruct models: the
// messages become one prompt for /completions, and the answer (or each streamed chunk) becomes chat-shaped.
import { textOf } from './kit/message-parts';
import type { OpenAiProvider } from './openai';
import type {
  PlainChatCompletion,
  PlainChunk,
  PlainEmbeddingResponse,
  PlainMessage,
  PlainTextCompletion,
  PlainTranscription,
  Provider,
  ProviderParams,
  ProviderTarget,
  TranscriptionUpload,
} from './provider';

/** The messages' text, one message per line; a lone message is its text as it is. */
export function promptOf(messages: unknown): string {
  const list = Array.isArray(messages) ? (messages as PlainMessage[]) : [];
  return list.map(({ content }) => (typeof content === 'string' || Array.isArray(content) ? textOf(content) : '')).join('\n');
}

function toTextParams(params: ProviderParams): ProviderParams {
  // Chat-only params have no meaning for /completions.
  const { messages, tools: _tools, tool_choice: _toolChoice, parallel_tool_calls: _parallel, response_format: _format, ...rest } = params;
  return { ...rest, prompt: promptOf(messages) };
}

export class ChatOverCompletions implements Provider {
  readonly name: string;
  readonly unsupportedParams: ReadonlySet<string>;
  readonly envParams: OpenAiProvider['envParams'];
  constructor(private readonly inner: OpenAiProvider) {
    this.name = inner.name;
    this.unsupportedParams = inner.unsupportedParams;
    this.envParams = inner.envParams;
  }

  async chat(params: ProviderParams, target: ProviderTarget): Promise<PlainChatCompletion> {
    const answer = await this.inner.textCompletion(toTextParams(params), target);
    return {
      id: answer.id,
      object: 'chat.completion',
      created: answer.created,
      model: answer.model,
      choices: answer.choices.map((c) => ({ index: c.index, message: { role: 'assistant', content: c.text }, finish_reason: c.finish_reason ?? 'stop' })),
      ...(answer.usage ? { usage: answer.usage } : {}),
    };
  }

  async *chatStream(params: ProviderParams, target: ProviderTarget): AsyncIterable<PlainChunk> {
    const started = new Set<number>();
    for await (const chunk of this.inner.textCompletionStream(toTextParams(params), target)) {
      yield {
        id: chunk.id,
        object: 'chat.completion.chunk',
        created: chunk.created,
        model: chunk.model,
        choices: (chunk.choices ?? []).map((c) => {
          // The first chunk of each choice carries the role, as OpenAI's chat streams do.
          const role = started.has(c.index) ? {} : { role: 'assistant' as const };
          started.add(c.index);
          return { index: c.index, delta: { ...role, content: c.text }, finish_reason: c.finish_reason ?? null };
        }),
        ...(chunk.usage ? { usage: chunk.usage } : {}),
      };
    }
  }

  textCompletion(params: ProviderParams, target: ProviderTarget): Promise<PlainTextCompletion> {
    return this.inner.textCompletion(params, target);
  }

  embedding(params: ProviderParams, target: ProviderTarget): Promise<PlainEmbeddingResponse> {
    return this.inner.embedding(params, target);
  }

  transcription(upload: TranscriptionUpload, target: ProviderTarget): Promise<PlainTranscription> {
    return this.inner.transcription(upload, target);
  }
}
