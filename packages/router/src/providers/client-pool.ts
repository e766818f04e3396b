// SDK clients a router's calls share (Bedrock's, Vertex AI's auth): made on first use per distinct
// settings, kept for the router's later calls (they hold connections and cached credentials), and released
// when the router closes. One pool per router, so closing one router never pulls a client from another.

interface Entry {
  client: unknown;
  release: ((client: never) => void) | undefined;
}

export class ClientPool {
  private readonly entries = new Map<string, Entry>();
  private closed = false;

  /** The client for `key` (a provider's name and the settings that make the client), made by `create` the first time. */
  get<T>(key: string, create: () => T, release?: (client: T) => void): T {
    const found = this.entries.get(key);
    if (found) return found.client as T;
    const client = create();
    // A call that raced the router's close: its client is released at once rather than kept.
    if (this.closed) release?.(client);
    else this.entries.set(key, { client, release: release });
    return client;
  }

  /** Releases every client (sockets, agents); later `get`s make clients that are released when made. */
  close(): void {
    this.closed = true;
    for (const { client, release } of this.entries.values()) {
      try {
        release?.(client as never);
      } catch {
        // A client that fails to let go must not keep the others.
      }
    }
    this.entries.clear();
  }
}
