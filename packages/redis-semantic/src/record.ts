// An indexed entry as Redis holds it, in two parts. Its head, all a search reads of each candidate, is a
// field of the index's heads hash (`{tag}:h`, field = entry id):
//
//   [0, 8)          expiresAt, float64 LE, ms since the epoch; 0 for never
//   [8, 12)         scale of the int8 vector, float32 LE
//   [12, 28)        scope id, 16 hex characters
//   [28, 28+d)      the unit vector as int8
//
// Its record, read whole only for the few best candidates, is a string key of its own (`{tag}:r:<id>`):
//
//   [0, 4d)         the unit vector as float32 LE
//   [4d, …)         "scope|code,code,…|key" (UTF-8): the buckets it is in (none while the index warms up), its cache key

import { quantize } from './lsh';

const HEAD_FIXED = 28;

/** Byte offset of the record's text part. */
export const tailOffset = (dim: number): number => 4 * dim;

export function encodeHead(vector: Float64Array, scopeId: string, expiresAt: number): Buffer {
  const { q, scale } = quantize(vector);
  const out = Buffer.alloc(HEAD_FIXED + vector.length);
  out.writeDoubleLE(expiresAt, 0);
  out.writeFloatLE(scale, 8);
  out.write(scopeId, 12, 16, 'latin1');
  out.set(new Uint8Array(q.buffer, q.byteOffset, q.byteLength), HEAD_FIXED);
  return out;
}

export function encodeRecord(vector: Float64Array, scopeId: string, codes: readonly number[], key: string): Buffer {
  const dim = vector.length;
  const tail = Buffer.from(`${scopeId}|${codes.join(',')}|${key}`, 'utf8');
  const out = Buffer.alloc(tailOffset(dim) + tail.length);
  for (let i = 0; i < dim; i++) out.writeFloatLE(vector[i]!, 4 * i);
  tail.copy(out, tailOffset(dim));
  return out;
}

/** What a search reads of a candidate. */
export interface RecordHead {
  expiresAt: number;
  scale: number;
  scopeId: string;
  q: Int8Array;
}

export function decodeHead(head: Buffer, dim: number): RecordHead | undefined {
  if (head.length !== HEAD_FIXED + dim) return undefined;
  return {
    expiresAt: head.readDoubleLE(0),
    scale: head.readFloatLE(8),
    scopeId: head.toString('latin1', 12, HEAD_FIXED),
    q: new Int8Array(head.buffer, head.byteOffset + HEAD_FIXED, dim),
  };
}

/** The record's float32 vector, scope and key. */
export function decodeRecord(record: Buffer, dim: number): { vector: Float32Array; scopeId: string; key: string } | undefined {
  if (record.length < tailOffset(dim)) return undefined;
  const vector = new Float32Array(dim);
  for (let i = 0; i < dim; i++) vector[i] = record.readFloatLE(4 * i);
  const match = /^([^|]*)\|[^|]*\|([\s\S]*)$/.exec(record.toString('utf8', tailOffset(dim)));
  return match ? { vector, scopeId: match[1]!, key: match[2]! } : undefined;
}
