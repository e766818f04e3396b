import { createHash } from 'node:crypto';
import { LlmcacheError, namespaceOfKey } from '@llmcache/core';

import type { Schemas } from '@qdrant/js-client-rest';

/** The named vector that holds the prompt embedding; entries written without a prompt have none. */
export const VECTOR_NAME = 'prompt';

/** What each point carries besides its vector. */
export type EntryPayload = {
  /** The cache key, so a match can say which entry it is. */
  key: string;
  /** The stored string (an encoded entry). */
  value: string;
  /** The namespace, `''` for none; only entries written with a prompt have one. */
  namespace?: string;
  /** The namespace of the key (what comes before its last `:`), `''` for none: `clear(namespace)` deletes by it. */
  ns?: string;
  /** The scope digest; only entries written with a prompt have one. */
  scope?: string;
  /** Expiry in ms since the epoch; absent for entries that never expire. */
  expires_at?: number;
};

/** Payload fields that are filtered on, with the index type each gets when the collection is created. */
export const INDEXED_FIELDS = { namespace: 'keyword', scope: 'keyword', expires_at: 'integer' } as const satisfies Record<string, Schemas['PayloadSchemaType']>;

/**
 * The point id of a key: Qdrant takes only unsigned integers and UUIDs, so the first 128 bits of the
 * key's sha256, written as a UUID (version 8, "custom", so it is never mistaken for a random one).
 */
export function pointId(key: string): string {
  const hex = createHash('sha256').update(key).digest('hex');
  const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export function payloadOf(key: string, value: string, ttlMs: number | null, now = Date.now()): EntryPayload {
  const ns = namespaceOfKey(key) ?? '';
  return ttlMs === null ? { key, value, ns } : { key, value, ns, expires_at: now + ttlMs };
}

/**
 * The entries `clear(namespace)` deletes: those whose key is in exactly `namespace`, and those written
 * with a prompt in it before keys carried their namespace; every entry when omitted.
 */
export function clearFilter(namespace: string | undefined): Schemas['Filter'] {
  if (namespace === undefined) return { must: [] };
  return {
    should: [
      { key: 'ns', match: { value: namespace } },
      { key: 'namespace', match: { value: namespace } },
    ],
  };
}

/** Entries of this namespace and scope that have not expired at `now`. */
export function candidatesFilter(namespace: string | undefined, scope: string, now: number): Schemas['Filter'] {
  return {
    must: [
      { key: 'namespace', match: { value: namespace ?? '' } },
      { key: 'scope', match: { value: scope } },
      { should: [{ is_empty: { key: 'expires_at' } }, { key: 'expires_at', range: { gt: now } }] },
    ],
  };
}

/** Entries that have expired at `now`. */
export function expiredFilter(now: number): Schemas['Filter'] {
  return { must: [{ key: 'expires_at', range: { lte: now } }] };
}

/** The stored string of a retrieved point that is this key's and alive, else undefined. */
export function liveValue(key: string, payload: Record<string, unknown> | null | undefined, now = Date.now()): string | undefined {
  if (payload?.key !== key) return undefined; // a point of another key (or not ours) is a miss
  const expiresAt = payload.expires_at;
  if (typeof expiresAt === 'number' && expiresAt <= now) return undefined;
  if (typeof payload.value !== 'string') throw new LlmcacheError('qdrant', `the point of "${key}" holds no stored value`);
  return payload.value;
}
