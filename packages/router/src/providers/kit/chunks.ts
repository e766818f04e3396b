// The chunks a native stream is translated into: OpenAI's `chat.completion.chunk`s, one choice each.
import { randomUUID } from 'node:crypto';
import type { PlainChunk } from '../provider';
import { nowSeconds } from './completion';
import type { TokenUsage } from './usage';

type Delta = PlainChunk['choices'][number]['delta'];

/**
 * Makes the chunks of one stream. `id`, `model` and `created` may be changed once the stream's first event
 * tells them (Anthropic's `message_start`, Ollama's first line); the chunks made after carry the new ones.
 */
export class ChunkBuilder {
  id = `chatcmpl-${randomUUID()}`;
  created = nowSeconds();

  constructor(public model: string) {}

  /** A chunk of choice 0 with `delta`, and the finish reason on the last one. */
  delta(delta: Delta, finish: string | null = null): PlainChunk {
    return { id: this.id, object: 'chat.completion.chunk', created: this.created, model: this.model, choices: [{ index: 0, delta, finish_reason: finish }] };
  }

  /** The usage chunk a stream ends with when the caller asked for it: no choices. */
  usage(usage: TokenUsage): PlainChunk {
    return { id: this.id, object: 'chat.completion.chunk', created: this.created, model: this.model, choices: [], usage };
  }
}
