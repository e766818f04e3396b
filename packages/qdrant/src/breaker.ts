import { QdrantRequestError, request } from './errors';

/** How long the probe waits between tries once a try failed at once. */
const PROBE_PAUSE_MS = 100;

/**
 * A Qdrant that stops answering costs one timeout, not one per request: after a request gets no answer
 * in time (or one has been under way for about that long), requests fail at once until a background
 * version check answers again. Refused connections and error answers do not open it: they fail fast anyway.
 */
export class QdrantBreaker {
  /** Open: requests fail at once. A plain field, read on every request. */
  open = false;
  private probing = false;
  private stopped = false;
  /** Requests sent and not yet settled. */
  private pending = 0;
  /** When a request last settled, or the first of the pending ones was sent. */
  private lastProgress = 0;

  constructor(
    /** The client's own request timeout, in ms. */
    private readonly timeoutMs: number,
    /** A cheap request that answers when Qdrant does (its version endpoint). */
    private readonly check: () => Promise<unknown>,
  ) {}

  /** `request(operation, run)` unless Qdrant is not answering, in which case it fails at once. */
  run<T>(operation: string, run: () => Promise<T>): Promise<T> {
    if (!this.open && this.pending > 0 && Date.now() - this.lastProgress >= this.timeoutMs * 0.9) this.trip();
    if (this.open) {
      return Promise.reject(
        new QdrantRequestError(operation, undefined, 'Qdrant is not answering; not waiting for it until a background check answers', undefined),
      );
    }
    if (this.pending++ === 0) this.lastProgress = Date.now();
    return request(operation, run).then(
      (value) => {
        this.settled();
        return value;
      },
      (err: unknown) => {
        this.settled();
        if (isNoAnswer(err)) this.trip();
        throw err;
      },
    );
  }

  /** Ends the background check (the backend closed). */
  stop(): void {
    this.stopped = true;
  }

  private settled(): void {
    this.pending--;
    this.lastProgress = Date.now();
  }

  private trip(): void {
    this.open = true;
    if (!this.probing) void this.probe();
  }

  private async probe(): Promise<void> {
    this.probing = true;
    try {
      while (this.open && !this.stopped) {
        const started = Date.now();
        try {
          await request('ping', this.check);
          this.open = false;
        } catch {
          // Unref'd: a probe never keeps the process alive.
          await new Promise((resolve) => setTimeout(resolve, Math.max(0, PROBE_PAUSE_MS - (Date.now() - started))).unref());
        }
      }
    } finally {
      this.probing = false;
    }
  }
}

/** The client gave up waiting for an answer (see `describeFailure`). */
function isNoAnswer(err: unknown): boolean {
  return err instanceof QdrantRequestError && err.status === undefined && err.detail === 'no answer within timeoutMs';
}
