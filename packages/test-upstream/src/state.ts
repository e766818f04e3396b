// The mutable state of one upstream: recorded calls, per-model scripts, latencies and replies, in-flight
// counts and concurrency peaks, and the serial used in response ids.
import { checkRawStep } from './raw';
import type { CallFilter, EmbeddingSource, RecordedCall, ReplySource, Step } from './types';

export class UpstreamState {
  readonly calls: RecordedCall[] = [];
  private readonly scripts = new Map<string, Step[]>();
  private readonly latencies = new Map<string, number>();
  private readonly replies = new Map<string, ReplySource>();
  private readonly embeddings = new Map<string, EmbeddingSource>();
  private readonly inFlight = new Map<string, number>();
  private readonly peaks = new Map<string, number>();
  private totalInFlight = 0;
  private totalPeak = 0;
  private serial = 0;

  /** A fresh id: `<prefix><serial>`, unique for the life of the server (not reset). */
  nextId(prefix: string): string {
    this.serial += 1;
    return `${prefix}${this.serial}`;
  }

  callCount(filter: CallFilter = {}): number {
    return this.calls.filter((call) => (filter.path === undefined || call.path === filter.path) && (filter.model === undefined || call.model === filter.model))
      .length;
  }

  script(model: string, steps: Step[]): void {
    steps.forEach(checkRawStep);
    const queue = this.scripts.get(model) ?? [];
    queue.push(...steps);
    this.scripts.set(model, queue);
  }

  /** Takes the next scripted step of the model, if any. */
  takeStep(model: string): Step | undefined {
    const queue = this.scripts.get(model);
    const step = queue?.shift();
    if (queue?.length === 0) this.scripts.delete(model);
    return step;
  }

  setLatency(model: string, ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`setLatency: ms must be a finite number >= 0, got ${String(ms)}`);
    this.latencies.set(model, ms);
  }

  latency(model: string): number {
    return this.latencies.get(model) ?? 0;
  }

  setReply(model: string, reply: ReplySource): void {
    this.replies.set(model, reply);
  }

  reply(model: string): ReplySource | undefined {
    return this.replies.get(model);
  }

  setEmbedding(model: string, source: EmbeddingSource): void {
    this.embeddings.set(model, source);
  }

  embedding(model: string): EmbeddingSource | undefined {
    return this.embeddings.get(model);
  }

  /** Counts a request as in flight until the returned function is called (calling it again does nothing). */
  begin(model: string): () => void {
    const current = (this.inFlight.get(model) ?? 0) + 1;
    this.inFlight.set(model, current);
    this.peaks.set(model, Math.max(this.peaks.get(model) ?? 0, current));
    this.totalInFlight += 1;
    this.totalPeak = Math.max(this.totalPeak, this.totalInFlight);
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.totalInFlight -= 1;
      const left = (this.inFlight.get(model) ?? 1) - 1;
      if (left > 0) this.inFlight.set(model, left);
      else this.inFlight.delete(model);
    };
  }

  peakConcurrency(model?: string): number {
    return model === undefined ? this.totalPeak : (this.peaks.get(model) ?? 0);
  }

  /** Clears everything but the id serial; peaks restart from the requests still in flight. */
  reset(): void {
    this.calls.length = 0;
    this.scripts.clear();
    this.latencies.clear();
    this.replies.clear();
    this.embeddings.clear();
    this.peaks.clear();
    for (const [model, count] of this.inFlight) this.peaks.set(model, count);
    this.totalPeak = this.totalInFlight;
  }
}
