// The disk backend's write cost as its table grows: 100k inserts of ~1 KB answers in five batches of 20k,
// against a floor doing the same inserts straight through better-sqlite3, batches interleaved in one run.
// Standalone: node -e "import('./bench/disk.mjs').then(m=>m.diskBench()).then(r=>console.table(r))"
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { encodeEntry } from '@llmcache/core/internal';
import { DiskBackend } from '@llmcache/disk';
import { chatResponse } from './fixtures.mjs';

const BATCHES = 5;
const BATCH_SIZE = 20_000;
const TTL_MS = 600_000;
const k = (n) => `${n / 1000}k`;

/** Key and ~1 KB envelope of answer `i`, as Cache would hand them to a backend. */
function row(i) {
  const key = createHash('sha256').update(`request ${i}`).digest('hex');
  const content = `${chatResponse.choices[0].message.content} (answer ${i}) `.repeat(3);
  const answer = { ...chatResponse, id: `chatcmpl-${i}`, choices: [{ ...chatResponse.choices[0], message: { role: 'assistant', content } }] };
  const now = Date.now();
  return { key, value: encodeEntry(answer, now, now + TTL_MS) };
}

/**
 * Floor: the least the job needs, with the best tool for it: one prepared INSERT OR REPLACE of key, value
 * and expiry, each row its own transaction (as each cache write is), WAL with synchronous=NORMAL.
 */
function floorWriter(dir) {
  const db = new Database(join(dir, 'floor.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec('CREATE TABLE entries (key TEXT PRIMARY KEY, value TEXT NOT NULL, expires_at INTEGER) WITHOUT ROWID');
  const insert = db.prepare('INSERT OR REPLACE INTO entries (key, value, expires_at) VALUES (?, ?, ?)');
  const write = db.transaction((key, value) => insert.run(key, value, Date.now() + TTL_MS));
  return { write: (key, value) => write(key, value), close: () => db.close() };
}

function diskWriter(dir) {
  const backend = new DiskBackend({ dir: join(dir, 'disk') });
  return { write: (key, value) => backend.set(key, value, TTL_MS), close: () => backend.close() };
}

/** Writes rows [from, to) and returns the batch's total and slowest single write, in ns. */
function timeBatch(writer, from, to) {
  let slowest = 0;
  const t0 = process.hrtime.bigint();
  for (let i = from; i < to; i++) {
    const { key, value } = row(i);
    const t = process.hrtime.bigint();
    writer.write(key, value);
    const ns = Number(process.hrtime.bigint() - t);
    if (ns > slowest) slowest = ns;
  }
  return { totalNs: Number(process.hrtime.bigint() - t0), slowestNs: slowest };
}

const us = (ns) => Math.round(ns / 10) / 100;
const ms = (ns) => Math.round(ns / 1e5) / 10;
const ratio = (a, b) => Math.round((a / b) * 100) / 100;

/** Rows shaped as bench/run.mjs's: case, µs/op, ratio to floor, target, result. */
export async function diskBench() {
  const dir = mkdtempSync(join(tmpdir(), 'llmcache-bench-disk-'));
  const floor = floorWriter(dir);
  const disk = diskWriter(dir);
  const batches = [];
  try {
    for (let b = 0; b < BATCHES; b++) {
      const from = b * BATCH_SIZE;
      const to = from + BATCH_SIZE;
      // Alternate who goes first so that neither always runs on the warmer (or busier) machine.
      const [first, second] = b % 2 === 0 ? [floor, disk] : [disk, floor];
      const a = timeBatch(first, from, to);
      const c = timeBatch(second, from, to);
      batches.push({ from, to, floor: first === floor ? a : c, disk: first === disk ? a : c });
    }
  } finally {
    floor.close();
    disk.close();
    rmSync(dir, { recursive: true, force: true });
  }

  const total = (side) => batches.reduce((sum, batch) => sum + batch[side].totalNs, 0);
  const floorNs = total('floor') / (BATCHES * BATCH_SIZE);
  const diskNs = total('disk') / (BATCHES * BATCH_SIZE);
  const first = batches[0];
  const last = batches[BATCHES - 1];
  const growth = ratio(last.disk.totalNs, first.disk.totalNs);
  return [
    {
      case: `floor: better-sqlite3 INSERT OR REPLACE, one-row transactions, WAL + synchronous=NORMAL (${k(BATCHES * BATCH_SIZE)} rows)`,
      'µs/op': us(floorNs),
      'ratio to floor': 1,
      target: '',
      result: '',
    },
    {
      case: `disk: DiskBackend.set, ${k(BATCHES * BATCH_SIZE)} inserts of ~1 KB`,
      'µs/op': us(diskNs),
      'ratio to floor': ratio(diskNs, floorNs),
      target: '',
      result: '',
    },
    ...batches.map((batch) => ({
      case: `disk: inserts ${k(batch.from)}–${k(batch.to)}`,
      'µs/op': us(batch.disk.totalNs / BATCH_SIZE),
      'ratio to floor': ratio(batch.disk.totalNs, batch.floor.totalNs),
      target: '',
      result: `batch ${ms(batch.disk.totalNs)} ms, slowest set() ${ms(batch.disk.slowestNs)} ms (floor ${ms(batch.floor.totalNs)} ms, ${ms(batch.floor.slowestNs)} ms)`,
    })),
    {
      case: `disk: last ${k(BATCH_SIZE)} inserts vs first ${k(BATCH_SIZE)}`,
      'µs/op': us(last.disk.totalNs / BATCH_SIZE),
      'ratio to floor': ratio(last.disk.totalNs, last.floor.totalNs),
      target: `≤ 1.5× (is ${growth}×)`,
      result: growth <= 1.5 ? 'ok' : 'MISSED',
    },
  ];
}
