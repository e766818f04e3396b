// Timing harness. Cases are compared within one run: every round runs each case once, in turn, so that
// whatever the machine does meanwhile (GC, the other core, a noisy neighbour) hits all of them alike.
// Each case's figure is the median over rounds, and each ratio the median of the per-round ratios.
import { hash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import stringify from 'safe-stable-stringify';

async function iterationsFor(fn, roundMs) {
  let iterations = 1;
  for (;;) {
    const t = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) await fn();
    const ms = Number(process.hrtime.bigint() - t) / 1e6;
    if (ms >= roundMs / 4) return Math.max(1, Math.ceil((iterations * roundMs) / Math.max(ms, 0.001)));
    iterations *= 4;
  }
}

/**
 * Runs `cases` ({ name: fn }) interleaved for `rounds` rounds of about `roundMs` each and returns, per
 * case, the median ns per iteration and the per-round samples.
 */
export async function compare(cases, { rounds = 21, roundMs = 60 } = {}) {
  const names = Object.keys(cases);
  const iterations = {};
  for (const name of names) iterations[name] = await iterationsFor(cases[name], roundMs);
  const samples = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = 0; r < rounds; r++) {
    for (const name of names) {
      const fn = cases[name];
      const n = iterations[name];
      const t = process.hrtime.bigint();
      for (let i = 0; i < n; i++) await fn();
      samples[name].push(Number(process.hrtime.bigint() - t) / n);
    }
  }
  return Object.fromEntries(names.map((n) => [n, { medianNs: median(samples[n]), samples: samples[n] }]));
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Median over rounds of a/b, from two cases measured in the same rounds. */
export function ratioOf(a, b) {
  return Math.round(median(a.samples.map((ns, i) => ns / b.samples[i])) * 100) / 100;
}

/** Prints rows as a table and writes them, with the machine's facts, to bench/results/. */
export function report(title, rows) {
  console.log(`\n${title}`);
  console.table(rows);
  mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const file = new URL(`./results/${stamp}.json`, import.meta.url);
  writeFileSync(
    file,
    JSON.stringify({ title, date: new Date().toISOString(), node: process.version, platform: `${process.platform}-${process.arch}`, rows }, null, 2) + '\n',
  );
  console.log(`written to bench/results/${stamp}.json`);
}

export const us = (ns) => Math.round(ns / 10) / 100;

/**
 * The floor of a memory hit: the least any exact-match cache must do for one, with the best tools for
 * each step and none of our code: a stable serialisation of the request, its sha256, and a Map lookup.
 */
export function memoryHitFloor(request, answer) {
  const map = new Map([[hash('sha256', stringify(request)), answer]]);
  return () => map.get(hash('sha256', stringify(request)));
}
