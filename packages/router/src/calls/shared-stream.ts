import { untilAborted } from '@llmcache/core/internal';
import type { PlainChatCompletion, PlainChunk } from '../providers';

/** A streamed answer on its way, which callers of the same flight read together. */
export interface LiveStream {
  live: SharedStream;
  deploymentId: string;
  modelGroup: string;
  /** False for the copies handed to callers that joined it rather than started it. */
  started: boolean;
}

/** An upstream stream whose first chunk has arrived. */
export interface OpenedStream {
  first: IteratorResult<PlainChunk>;
  iterator: AsyncIterator<PlainChunk>;
}

export interface SharedStreamHooks {
  /** A chunk arrived (restarts the gap timeout). */
  onChunk(): void;
  /** Whether the stream's timeout has already run out: a read that starts after it fails by the readers' delay, not the deployment's. */
  expired(): boolean;
  /** The stream ended whole: the answer made of its chunks, once stored. Readers see the end only after it resolves. */
  onComplete(chunks: readonly PlainChunk[]): Promise<PlainChatCompletion>;
  /** The stream broke off; `readersFault` when its timeout ran out while nobody was reading. */
  onError(error: unknown, readersFault: boolean): Promise<void>;
  /** The stream is over, however it ended: release what it holds. Called once. */
  onClose(): void;
}

export interface ReaderOptions {
  /** Whether this reader wants the usage chunk (`stream_options.include_usage`). */
  includeUsage: boolean;
  /** Leaves the stream when it fires; the pending `next()` rejects with its reason. */
  signal?: AbortSignal | undefined;
  /** Called when this reader reaches the end of a whole stream. */
  onEnd?: (completion: PlainChatCompletion) => void;
}

/** Where the upstream is: still being read, ended whole (with its answer), or broken off (with why). */
type Outcome = { state: 'open' } | { state: 'complete'; completion: PlainChatCompletion } | { state: 'failed'; error: unknown };

const OPEN: Outcome = { state: 'open' };

/** The reason given to readers of a stream that every reader left. */
const ABANDONED = new Error('the stream was abandoned by every reader');

/**
 * One upstream stream, read by any number of callers. Each reader gets every chunk from the first, at
 * its own pace. The upstream is read only as fast as the fastest reader asks, or at once for callers
 * that wait for the whole answer, so a stream that nobody reads is never read to its end nor stored.
 * When the last reader leaves before the end, the upstream is abandoned and its claim released.
 */
export class SharedStream {
  private readonly chunks: PlainChunk[] = [];
  private outcome: Outcome = OPEN;
  private pending: Promise<void> | undefined;
  private readers = 0;
  /** The upstream has ended whole and the answer is being stored: too late to abandon. */
  private completing = false;
  private closed = false;
  /** The first result, when it already ended the stream. */
  private ended: IteratorResult<PlainChunk> | undefined;

  constructor(
    private readonly source: OpenedStream,
    private readonly hooks: SharedStreamHooks,
  ) {
    if (source.first.done) this.ended = source.first;
    else this.chunks.push(source.first.value);
  }

  /** Whether the stream is still being read from upstream. */
  get open(): boolean {
    return this.outcome.state === 'open';
  }

  /** A new reader; it takes part until it reaches the end, fails, or leaves through `return()` or its signal. */
  reader(options: ReaderOptions): AsyncIterableIterator<PlainChunk> {
    const { signal, includeUsage } = options;
    let index = 0;
    let left = false;
    let usageSeen = false;
    const leave = () => {
      if (left) return;
      left = true;
      signal?.removeEventListener('abort', leave);
      this.leave();
    };
    this.readers++;
    signal?.addEventListener('abort', leave, { once: true });
    if (signal?.aborted) leave();
    const next = async (): Promise<IteratorResult<PlainChunk>> => {
      for (;;) {
        if (left) {
          if (signal?.aborted) throw signal.reason;
          return { done: true, value: undefined };
        }
        const chunk = this.chunks[index];
        if (chunk !== undefined) {
          index++;
          const usageOnly = (chunk.choices?.length ?? 0) === 0 && chunk.usage;
          if (usageOnly && !includeUsage) continue;
          if (usageOnly) usageSeen = true;
          // Every reader gets its own copy: one caller changing a chunk must not reach the others or the stored answer.
          return { done: false, value: structuredClone(chunk) };
        }
        const outcome = this.outcome;
        if (outcome.state === 'complete') {
          const { completion } = outcome;
          // The stream's own request may not have asked for usage; this reader did, so it gets it at the end.
          if (includeUsage && !usageSeen && completion.usage) {
            usageSeen = true;
            const { id, created, model } = completion;
            return { done: false, value: { id, object: 'chat.completion.chunk', created, model, choices: [], usage: { ...completion.usage } } };
          }
          leave();
          options.onEnd?.(completion);
          return { done: true, value: undefined };
        }
        if (outcome.state === 'failed') {
          leave();
          throw outcome.error;
        }
        await untilAborted(this.pull(), signal);
      }
    };
    return {
      next,
      return: async () => {
        leave();
        return { done: true, value: undefined };
      },
      [Symbol.asyncIterator]() {
        return this;
      },
    };
  }

  /** The whole answer, reading the upstream as fast as it comes; leaves at once when `signal` fires. */
  async whole(signal: AbortSignal | undefined): Promise<PlainChatCompletion> {
    this.readers++;
    try {
      while (this.outcome.state === 'open') await untilAborted(this.pull(), signal);
      if (this.outcome.state === 'failed') throw this.outcome.error;
      return this.outcome.completion;
    } finally {
      this.leave();
    }
  }

  private leave(): void {
    if (--this.readers > 0 || this.outcome.state !== 'open' || this.completing) return;
    // Nobody reads any more: stop the upstream read; nothing is stored.
    this.fail(ABANDONED);
    void Promise.resolve(this.source.iterator.return?.()).catch(() => {});
    this.close();
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    this.hooks.onClose();
  }

  private fail(error: unknown): void {
    this.outcome = { state: 'failed', error };
  }

  /** Reads the next chunk from upstream; concurrent readers share one read. */
  private pull(): Promise<void> {
    this.pending ??= this.readOne().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  private async readOne(): Promise<void> {
    const readersFault = this.hooks.expired();
    let result: IteratorResult<PlainChunk>;
    try {
      result = this.ended ?? (await this.source.iterator.next());
    } catch (err) {
      if (this.outcome.state !== 'open') return;
      this.fail(err);
      try {
        await this.hooks.onError(err, readersFault);
      } finally {
        this.close();
      }
      return;
    }
    if (this.outcome.state !== 'open') return;
    if (!result.done) {
      this.hooks.onChunk();
      this.chunks.push(result.value);
      return;
    }
    this.completing = true;
    try {
      this.outcome = { state: 'complete', completion: await this.hooks.onComplete(this.chunks) };
    } catch (err) {
      this.fail(err);
    } finally {
      this.close();
    }
  }
}
