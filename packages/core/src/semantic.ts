import * as crypto from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { Embedder, SemanticScope } from './backend';
import { canonicalJson } from './canonical-json';
import { CacheConfigError } from './errors';
import { cacheKeyMaterial } from './key';
import { SingleFlight } from './single-flight';
import { describe } from './validate';

/** What a semantic cache looks up and stores a call by: the text to embed, and what must match exactly. */
export interface SemanticQuery extends SemanticScope {
  /** The text whose embedding is compared: every message with its role. */
  prompt: string;
}

/** Turns texts into vectors: `(texts) => vectors`, one vector per text, in order. */
export type EmbedFunction = (texts: readonly string[], options?: { signal?: AbortSignal | undefined }) => Promise<readonly (readonly number[])[]>;

/** An `Embedder`, or a plain function, as an `Embedder`. */
export function toEmbedder(embedder: Embedder | EmbedFunction): Embedder {
  if (typeof embedder === 'function') return { embed: async (texts, options) => (await embedder(texts, options)) as number[][] };
  return embedder;
}

/** Whether `value` can be given where an embedder is expected. */
export function isEmbedderLike(value: unknown): value is Embedder | EmbedFunction {
  return typeof value === 'function' || typeof (value as Partial<Embedder> | null)?.embed === 'function';
}

/** `value` when it can serve as an embedder, else the `CacheConfigError` naming `option`. */
export function checkEmbedder(pkg: string, option: string, value: unknown): Embedder | EmbedFunction {
  if (!isEmbedderLike(value)) {
    throw new CacheConfigError(pkg, option, `must be an Embedder (an object with embed) or a function (texts) => vectors, got ${describe(value)}`);
  }
  return value;
}

/**
 * The semantic query of a chat (`messages`) or text (`prompt`) call, or undefined for any other call or
 * params that cannot be hashed. The scope hashes the call type, the model identity and every param that
 * can change the answer except the wording of the prompt; parts of the prompt that are not text (an image,
 * audio, a file) are in the scope too, so that the same question about another picture never matches.
 */
export function semanticQuery(input: {
  callType: string;
  model: string;
  params: Record<string, unknown>;
  namespace?: string | undefined;
}): SemanticQuery | undefined {
  try {
    const { callType, model, params } = cacheKeyMaterial(input);
    const field = 'messages' in params ? 'messages' : 'prompt' in params ? 'prompt' : undefined;
    if (field === undefined) return undefined;
    const { [field]: wording, ...rest } = params;
    const attachments: unknown[] = [];
    const prompt = field === 'messages' ? messagesText(wording, attachments) : promptText(wording);
    const scope = sha256Hex(canonicalJson({ callType, model, params: rest, attachments }));
    return { prompt, scope, namespace: input.namespace };
  } catch {
    return undefined; // params JSON cannot hold: no semantic lookup, as no exact key either
  }
}

/**
 * The text embedded for a chat: one line per message, `role: content`, with the content's text parts,
 * tool calls (`name(arguments)`) and placeholders for non-text parts. Never throws on odd shapes.
 */
export function messagesText(messages: unknown, attachments: unknown[] = []): string {
  if (!Array.isArray(messages)) return promptText(messages);
  const lines: string[] = [];
  for (const message of messages) {
    if (typeof message !== 'object' || message === null) {
      lines.push(promptText(message));
      continue;
    }
    const m = message as Record<string, unknown>;
    const role = typeof m.role === 'string' ? m.role : 'message';
    const who = typeof m.name === 'string' && m.name !== '' ? `${role} (${m.name})` : role;
    const parts = [contentText(m.content, attachments)];
    for (const call of Array.isArray(m.tool_calls) ? m.tool_calls : []) parts.push(callText((call as { function?: unknown } | null)?.function ?? call));
    if (m.function_call !== undefined) parts.push(callText(m.function_call));
    lines.push(`${who}: ${parts.filter((p) => p !== '').join(' ')}`);
  }
  return lines.join('\n');
}

function contentText(content: unknown, attachments: unknown[]): string {
  if (typeof content === 'string') return content;
  if (content === undefined || content === null) return '';
  if (!Array.isArray(content)) return promptText(content);
  return content
    .map((part) => {
      if (typeof part === 'string') return part;
      const p = part as Record<string, unknown> | null;
      if (p !== null && typeof p === 'object' && typeof p.text === 'string' && (p.type === 'text' || p.type === undefined)) return p.text;
      attachments.push(part);
      const type = p !== null && typeof p === 'object' && typeof p.type === 'string' ? p.type : 'part';
      return `[${type}]`;
    })
    .join(' ');
}

function callText(call: unknown): string {
  const c = call as { name?: unknown; arguments?: unknown } | null;
  if (c === null || typeof c !== 'object') return promptText(call);
  const args = typeof c.arguments === 'string' ? c.arguments : promptText(c.arguments);
  return `${typeof c.name === 'string' ? c.name : 'call'}(${args})`;
}

/** Any value as text: strings as they are, the rest as JSON where it has one. */
function promptText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === undefined || value === null) return '';
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value.join('\n');
  try {
    return canonicalJson(value);
  } catch {
    // eslint-disable-next-line @typescript-eslint/no-base-to-string -- the last resort for a value with no JSON form (a cycle, a BigInt, a symbol): '[object Object]' is text enough
    return String(value);
  }
}

/** How many prompts' vectors are kept, so that storing right after a lookup does not embed again. */
const MEMO_ENTRIES = 256;

/** The most bytes of vectors the memo keeps (a 1536-dimension vector takes 12 KB). */
const MEMO_BYTES = 4 * 1024 * 1024;

/** What one memo entry costs beyond its vector: its 64-character digest key and the bookkeeping. */
const MEMO_ENTRY_OVERHEAD = 200;

/**
 * A backend's embedder, checked and memoised: vectors come back unit-length (cosine is then a dot
 * product) and all of one length, learned from the first; a wrong answer is an error naming what is
 * wrong. The last prompts' vectors are kept, and concurrent requests for one prompt share one call.
 * Both go by the prompt's sha256, never by the prompt itself: a memo of large prompts would hold them all.
 */
export class PromptVectors {
  private embedder: Embedder | undefined;
  private learned: number | undefined;
  private readonly memo = new LRUCache<string, Float64Array>({
    max: MEMO_ENTRIES,
    maxSize: MEMO_BYTES,
    sizeCalculation: (vector) => vector.byteLength + MEMO_ENTRY_OVERHEAD,
  });
  private readonly flights = new SingleFlight();

  constructor(
    private readonly pkg: string,
    embedder?: Embedder | EmbedFunction,
  ) {
    if (embedder !== undefined) this.setEmbedder(embedder);
  }

  setEmbedder(embedder: Embedder | EmbedFunction): void {
    this.embedder = toEmbedder(checkEmbedder(this.pkg, 'embedder', embedder));
    this.memo.clear();
    this.learned = undefined;
  }

  get hasEmbedder(): boolean {
    return this.embedder !== undefined;
  }

  /** The vector length of this embedder, once one vector was seen. */
  get dimension(): number | undefined {
    return this.learned;
  }

  /** Bytes the memo of vectors holds now (at most 4 MiB). */
  get memoBytes(): number {
    return this.memo.calculatedSize;
  }

  /** The unit vector of `prompt`. Throws when there is no embedder or it answers something that is not a vector. */
  async vector(prompt: string, signal?: AbortSignal): Promise<Float64Array> {
    const digest = sha256Hex(prompt);
    const known = this.memo.get(digest);
    if (known) return known;
    const embedder = this.embedder;
    if (!embedder)
      throw new Error(`[${this.pkg}] no embedder: give one (embedder option or setEmbedder), or use the cache with a Router that has the embedding model`);
    const flight = this.flights.run(
      digest,
      async (shared) => {
        const vectors = await embedder.embed([prompt], { signal: shared });
        const vector = this.check(vectors);
        // Kept only while the embedder is the one that made it.
        if (this.embedder === embedder) this.memo.set(digest, vector);
        return vector;
      },
      signal,
    );
    return flight.promise;
  }

  private check(vectors: unknown): Float64Array {
    const raw = Array.isArray(vectors) ? (vectors[0] as unknown) : undefined;
    if (!Array.isArray(raw) && !ArrayBuffer.isView(raw))
      throw new Error(`[${this.pkg}] the embedder answered ${Array.isArray(vectors) ? 'no vector' : 'something that is not a list of vectors'}`);
    const values = raw as ArrayLike<unknown>;
    if (values.length === 0) throw new Error(`[${this.pkg}] the embedder answered an empty vector`);
    if (this.learned !== undefined && values.length !== this.learned) {
      throw new Error(`[${this.pkg}] the embedder answered a vector of ${values.length} dimensions after ${this.learned}`);
    }
    const unit = new Float64Array(values.length);
    let norm = 0;
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`[${this.pkg}] the embedder answered a vector holding ${String(v)}`);
      unit[i] = v;
      norm += v * v;
    }
    if (norm === 0) throw new Error(`[${this.pkg}] the embedder answered a zero vector`);
    norm = Math.sqrt(norm);
    for (let i = 0; i < unit.length; i++) unit[i]! /= norm;
    this.learned ??= unit.length;
    return unit;
  }
}

const sha256Hex = (text: string): string => crypto.createHash('sha256').update(text).digest('hex');
