import type { EventEmitter } from 'eventemitter3';
import type { CacheBackend } from './backend';
import type { CacheHit, CacheCounters, CacheEvents, MissReason, ReadOptions } from './cache-types';
import { EntryDecoder } from './entry-decoder';
import { FAILED, type Failed, type GuardedBackend } from './guarded-backend';

/**
 * Turns what the backend holds under a key into a hit or a miss: decoded, checked for shape, expiry and
 * `s-maxage`, then counted and announced (`hit` / `miss` events). A corrupt entry is reported and deleted.
 */
export class EntryReader {
  private readonly decoder = new EntryDecoder();
  private readonly backend: CacheBackend;

  constructor(
    private readonly guard: GuardedBackend,
    private readonly counters: CacheCounters,
    private readonly events: EventEmitter<CacheEvents>,
  ) {
    this.backend = guard.backend;
  }

  /**
   * Reads `key`, with `next` run on what it finds: synchronously for a synchronous backend (the hit path
   * of `wrap` then never waits), else in the one promise reaction of the read.
   */
  read<T, R = CacheHit<T> | undefined>(key: string, options: ReadOptions, next?: (hit: CacheHit<T> | undefined) => R): R | Promise<Awaited<R>> {
    return this.guard.callThen(
      'get',
      key,
      () => this.backend.get(key),
      (raw) => {
        const hit = this.accept<T>(key, raw, options);
        return next ? next(hit) : (hit as R);
      },
    );
  }

  /** A read's outcome, judged and counted. */
  accept<T>(key: string, raw: string | undefined | Failed, options: ReadOptions): CacheHit<T> | undefined {
    const judged = this.judge<T>(key, raw, options);
    return typeof judged === 'string' ? this.miss(key, judged) : this.counted(key, judged);
  }

  /** What a read found: a hit, or why it is a miss (a corrupt entry is reported and deleted). Counts nothing. */
  judge<T>(key: string, raw: string | undefined | Failed, options: ReadOptions): CacheHit<T> | MissReason {
    if (raw === undefined || raw === FAILED) return raw === undefined ? 'absent' : 'error';
    let entry;
    try {
      entry = this.decoder.decode<T>(key, raw);
      if (options.validate && !options.validate(entry.d)) throw new Error('entry value does not have the expected shape');
    } catch (err) {
      this.guard.report('decode', key, err);
      // Best effort: a corrupt entry would otherwise cost a decode failure on every read until it expires.
      void this.guard.call('delete', key, () => this.backend.delete(key));
      return 'error';
    }
    const { maxAgeMs } = options;
    const now = Date.now();
    if (entry.e !== null && entry.e <= now) return 'expired';
    if (maxAgeMs !== undefined && now - entry.c >= maxAgeMs) return 'too-old';
    return { value: entry.d, createdAt: entry.c, expiresAt: entry.e };
  }

  /** Counts a hit and announces it. */
  counted<T>(key: string, hit: CacheHit<T>, similarity?: number): CacheHit<T> {
    this.counters.hits++;
    if (this.events.listenerCount('hit') > 0) {
      const ageMs = Date.now() - hit.createdAt;
      this.events.emit('hit', similarity === undefined ? { key, ageMs } : { key, ageMs, similarity });
    }
    return hit;
  }

  /** Counts a miss and announces it. */
  miss(key: string, reason: MissReason): undefined {
    this.counters.misses++;
    if (this.events.listenerCount('miss') > 0) this.events.emit('miss', { key, reason });
    return undefined;
  }

  /** Drops the decoded entries kept for repeated reads. */
  clear(): void {
    this.decoder.clear();
  }
}
