import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'eventemitter3';
import { Cluster } from 'ioredis';
import { CacheConfigError } from '@llmcache/core';
import { asIoRedis } from './connection';
import type { IoRedisClient, RedisClient } from './options';

export interface InvalidationEvents {
  /** Another instance changed or deleted these cache keys. */
  invalidate: (keys: string[]) => void;
  /** Another instance cleared this namespace (every entry when undefined). */
  clear: (namespace: string | undefined) => void;
  /**
   * Invalidations may have been missed (the subscription dropped, or was just re-established): whatever
   * the memory tier holds can no longer be trusted.
   */
  reset: () => void;
}

/** Options of the bus beyond its client and prefix. */
export interface InvalidationBusOptions {
  /**
   * How often the subscriber connection is checked with a PING, in ms. A connection can die without a
   * word (a NAT or load balancer that dropped it): until the check notices, changes elsewhere go unheard.
   * @default 1000
   */
  keepaliveMs?: number;
  /**
   * Longest wait for the answer to that PING, in ms; past it, the subscription counts as lost (the memory
   * tier stops serving) and the subscriber reconnects.
   * @default 1000
   */
  keepaliveTimeoutMs?: number;
}

interface Message {
  /** Origin: the instance that wrote. */
  o: string;
  /** Cache keys. */
  k: string[];
  /** Set on a clear: every entry of namespace `n` (of every namespace without `n`) is gone. */
  c?: true;
  n?: string;
}

/**
 * A pub/sub channel of our own on which every instance announces the keys it overwrote or deleted, so
 * that the others drop their in-memory copies. Plain `PUBLISH`/`SUBSCRIBE` works alike on standalone,
 * sentinel and cluster (where a publish reaches subscribers on every node).
 *
 * `live` is true only while the subscription is up: a memory tier must not serve from memory otherwise,
 * because it would not hear of changes.
 */
export class InvalidationBus extends EventEmitter<InvalidationEvents> {
  readonly channel: string;
  /** This instance's id; its own messages are ignored. */
  readonly origin = randomBytes(8).toString('hex');
  private readonly client: IoRedisClient;
  private readonly run: (op: () => Promise<unknown>) => Promise<unknown>;
  private readonly subscriber: IoRedisClient;
  private subscribed = false;
  private closed = false;
  private readonly keepalive: NodeJS.Timeout;
  private readonly keepaliveTimeoutMs: number;
  /** A keepalive PING is under way. */
  private checking = false;

  /**
   * `client` is used to publish; a duplicate of it subscribes (a subscribed connection takes no other
   * commands). `run` sends the publish under the caller's guards (a timeout, a breaker).
   */
  constructor(client: RedisClient, prefix: string, run: (op: () => Promise<unknown>) => Promise<unknown> = (op) => op(), options: InvalidationBusOptions = {}) {
    super();
    const keepaliveMs = options.keepaliveMs ?? 1000;
    this.keepaliveTimeoutMs = options.keepaliveTimeoutMs ?? 1000;
    if (!(keepaliveMs > 0)) throw new CacheConfigError('redis', 'keepaliveMs', `must be a positive number, got ${String(keepaliveMs)}`);
    if (!(this.keepaliveTimeoutMs > 0)) {
      throw new CacheConfigError('redis', 'keepaliveTimeoutMs', `must be a positive number, got ${String(this.keepaliveTimeoutMs)}`);
    }
    this.client = asIoRedis(client);
    this.run = run;
    this.channel = `${prefix}:invalidate`;
    // autoResubscribe off: we resubscribe ourselves, so we know when the subscription is back.
    this.subscriber = this.client instanceof Cluster ? this.client.duplicate() : this.client.duplicate({ autoResubscribe: false });
    this.subscriber.on('error', () => undefined);
    this.subscriber.on('message', (channel: string, text: string) => this.receive(channel, text));
    this.subscriber.on('ready', () => void this.subscribe());
    for (const lost of ['close', 'end', 'reconnecting'] as const) this.subscriber.on(lost, () => this.lose());
    if (this.subscriber.status === 'ready') void this.subscribe();
    this.keepalive = setInterval(() => this.check(), keepaliveMs);
    this.keepalive.unref();
  }

  /** Whether changes made elsewhere are being heard now. */
  get live(): boolean {
    return this.subscribed;
  }

  /** Announces that `keys` changed; resolves once Redis has taken the message. */
  async publish(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    const message: Message = { o: this.origin, k: [...keys] };
    await this.run(() => this.client.publish(this.channel, JSON.stringify(message)));
  }

  /** Announces a clear of `namespace` (of everything when undefined); resolves once Redis has taken the message. */
  async publishClear(namespace: string | undefined): Promise<void> {
    const message: Message = namespace === undefined ? { o: this.origin, k: [], c: true } : { o: this.origin, k: [], c: true, n: namespace };
    await this.run(() => this.client.publish(this.channel, JSON.stringify(message)));
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.keepalive);
    this.lose();
    this.subscriber.disconnect();
  }

  private async subscribe(): Promise<void> {
    if (this.closed) return;
    try {
      await this.subscriber.subscribe(this.channel);
    } catch {
      return; // the connection went again; the next 'ready' retries
    }
    if (this.closed || this.subscriber.status !== 'ready') return;
    // Whatever was cached before now may have changed while no one was listening.
    this.emit('reset');
    this.subscribed = true;
  }

  /**
   * PINGs the subscriber (a subscribed connection answers PING). No answer in time: the connection is
   * presumed dead, the subscription lost, and a new connection is made, which subscribes afresh.
   */
  private check(): void {
    if (!this.subscribed || this.checking || this.subscriber.status !== 'ready') return;
    this.checking = true;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      this.checking = false;
      this.lose();
      if (!this.closed) this.subscriber.disconnect(true);
    }, this.keepaliveTimeoutMs);
    const done = () => {
      if (timedOut) return;
      clearTimeout(timer);
      this.checking = false;
    };
    this.subscriber.ping().then(done, done);
  }

  private lose(): void {
    if (!this.subscribed) return;
    this.subscribed = false;
    this.emit('reset');
  }

  private receive(channel: string, text: string): void {
    if (channel !== this.channel) return;
    let message: Message;
    try {
      message = JSON.parse(text) as Message;
    } catch {
      // Unreadable: we cannot tell what changed, so assume everything did.
      this.emit('reset');
      return;
    }
    if (message.o === this.origin || !Array.isArray(message.k)) return;
    if (message.c === true) this.emit('clear', typeof message.n === 'string' ? message.n : undefined);
    else this.emit('invalidate', message.k);
  }
}
