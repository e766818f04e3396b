import { LlmcacheError } from '@llmcache/core';
import type { IoRedisClient } from './options';

/** Whether Redis takes commands now, and why not when it does not. */
export interface RedisAvailability {
  /** Connected and answering. */
  available: boolean;
  /** What went wrong last (a refused connection, `WRONGPASS`, `NOAUTH`, a timeout), when not available. */
  error?: Error;
}

/** How long the probe waits between tries once a try failed at once. */
const PROBE_PAUSE_MS = 100;

/**
 * How long a client of ours may stay unanswering before its socket is replaced: long enough for a paused
 * or busy server to come back on its own connection (a new one would wait behind a reconnect delay), short
 * enough that a half-open path is not used for long.
 */
const replaceAfterMs = (timeoutMs: number) => Math.max(2000, 3 * timeoutMs);

/**
 * What one client's users know of it, shared by every backend, lock and router state on that client:
 * whether its first connection attempt is over, the last error it reported, and a breaker.
 *
 * The breaker: a client that timed out is presumed stalled (paused, overloaded, a half-open socket, a port
 * that accepts and never answers): later commands fail at once instead of each waiting out its own timeout,
 * until a background PING answers again. A client we opened whose PING goes unanswered is reconnected, since
 * its socket may be dead without anyone having said so.
 */
export class ClientHealth {
  /** Open: commands fail at once. Read on every command, so a plain field. */
  open = false;
  /** The client has been ready once. */
  everReady = false;
  /** The first connection attempt ended (ready, refused, or timed out): from then on no call waits for a connection. */
  firstAttemptOver = false;
  lastError: Error | undefined;
  private probing = false;
  /** Commands sent and not yet settled. */
  private pending = 0;
  /** When a command last settled, or the first of the pending ones was sent. */
  private lastProgress = 0;
  private firstReady: Promise<void> | undefined;
  private readonly watchers = new Set<(availability: RedisAvailability) => void>();
  private reported: boolean | undefined;
  private reportedReason: string | undefined;

  constructor(
    private readonly client: IoRedisClient,
    /** Longest wait for one command, in ms. */
    readonly timeoutMs: number,
    /** We opened the client, so we may replace a stalled socket. */
    private readonly owned: boolean,
  ) {
    if (client.status === 'ready') this.ready();
    client.on('ready', () => this.ready());
    client.on('error', (err: Error) => this.failed(err));
    client.on('close', () => {
      // A first attempt that closed is over, whether or not a call was waiting for it.
      this.firstAttemptOver = true;
      this.report();
    });
  }

  /** Whether Redis takes commands now. */
  get available(): boolean {
    return this.client.status === 'ready' && !this.open;
  }

  /** Calls `watcher` whenever availability changes (and once the first attempt settles). Returns an unsubscribe. */
  watch(watcher: (availability: RedisAvailability) => void): () => void {
    this.watchers.add(watcher);
    return () => this.watchers.delete(watcher);
  }

  /**
   * Whether a command may be sent now. Commands under way with no answer for (nearly) the timeout also
   * count as a stall: the caller's own timer may fire a moment before the client's, and its next command
   * must not wait out a second timeout.
   */
  admit(): boolean {
    if (!this.open && this.pending > 0 && Date.now() - this.lastProgress >= this.timeoutMs * 0.9) this.trip();
    return !this.open;
  }

  sent(): void {
    if (this.pending++ === 0) this.lastProgress = Date.now();
  }

  settled(): void {
    this.pending--;
    this.lastProgress = Date.now();
  }

  /** Redis gave no answer in time: fail commands at once until a probe answers. */
  trip(cause?: Error): void {
    if (cause) this.lastError = cause;
    if (!this.open) {
      this.open = true;
      this.report();
    }
    if (!this.probing) void this.probe();
  }

  /** Why a command is refused now: the state, with the last error as cause. */
  unavailable(): Error {
    const why = this.open ? 'is not answering (stalled, overloaded or unreachable); not waiting for it' : `is not connected (${this.client.status})`;
    const last = this.lastError;
    return new LlmcacheError('redis', `Redis ${why}${last ? `: ${last.message}` : ''}`, { cause: last });
  }

  /**
   * The first connection, once, however many calls wait for it: resolves when ready, rejects with the
   * first error (refused, `WRONGPASS`, `NOAUTH`) or when the connection closes, whichever is first.
   */
  firstConnection(): Promise<void> {
    if (!this.firstReady) {
      this.firstReady = new Promise<void>((resolve, reject) => {
        const settle = (err?: Error) => {
          this.client.off('ready', onReady);
          this.client.off('error', settle);
          this.client.off('close', onClose);
          if (err) reject(err);
          else resolve();
        };
        const onReady = () => settle();
        const onClose = () => settle(this.lastError ?? new Error('the connection closed before it was ready'));
        this.client.once('ready', onReady);
        this.client.once('error', settle);
        this.client.once('close', onClose);
      });
      // Settled here too, so that no caller has to be waiting for it to be over.
      this.firstReady.catch(() => undefined).finally(() => (this.firstAttemptOver = true));
    }
    return this.firstReady;
  }

  /** The first connection took longer than a command may wait: no call waits for it again. */
  firstConnectionTimedOut(err: Error): void {
    this.firstAttemptOver = true;
    this.trip(err);
  }

  private ready(): void {
    this.everReady = true;
    this.firstAttemptOver = true;
    this.lastError = undefined;
    this.report();
  }

  private failed(err: Error): void {
    this.lastError = err;
    this.firstAttemptOver = true;
    this.report();
  }

  /** Tells the watchers when availability changes, or the reason for being unavailable does (not each retry). */
  private report(): void {
    const available = this.available;
    const reason = available ? undefined : this.lastError?.message;
    if (available === this.reported && reason === this.reportedReason) return;
    if (!available && reason === undefined && this.reported === false) return;
    this.reported = available;
    this.reportedReason = reason;
    const availability: RedisAvailability = available || !this.lastError ? { available } : { available, error: this.unavailable() };
    for (const watcher of this.watchers) watcher(availability);
  }

  private async probe(): Promise<void> {
    this.probing = true;
    let stalledSince = Date.now();
    try {
      while (this.open) {
        const started = Date.now();
        if (this.client.status === 'end') return;
        try {
          await bounded(this.client.ping(), this.timeoutMs, undefined, true);
          this.open = false;
          this.report();
          return;
        } catch (err) {
          if (err instanceof NoAnswer) this.lastError = err;
        }
        // Not ready, or not answering, for a while: the socket may be half-open, or the server one that
        // accepts and never answers. A client of ours gets a new connection; one passed in is the owner's.
        if (this.owned && Date.now() - stalledSince >= replaceAfterMs(this.timeoutMs) && this.client.status !== 'reconnecting') {
          this.client.disconnect(true);
          stalledSince = Date.now();
        }
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, PROBE_PAUSE_MS - (Date.now() - started))).unref());
      }
    } finally {
      this.probing = false;
    }
  }
}

/** No answer within the wait. */
export class NoAnswer extends Error {}

/** `pending`, or a rejection with `message` once `timeoutMs` has passed. */
export function bounded<T>(pending: Promise<T>, timeoutMs: number, message = `Redis gave no answer within ${timeoutMs} ms`, background = false): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    pending,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new NoAnswer(message)), timeoutMs);
      // A background wait (the probe's) never keeps the process alive.
      if (background) timer.unref();
    }),
  ]).finally(() => clearTimeout(timer));
}

const healths = new WeakMap<IoRedisClient, ClientHealth>();

/** The health record of `client`, made on first use (the first maker's timeout and ownership stand). */
export function healthOf(client: IoRedisClient, timeoutMs: number, owned = false): ClientHealth {
  let health = healths.get(client);
  if (!health) {
    health = new ClientHealth(client, timeoutMs, owned);
    healths.set(client, health);
  }
  return health;
}

/** The health record of `client`, if one was made. */
export function healthOfClient(client: IoRedisClient): ClientHealth | undefined {
  return healths.get(client);
}
