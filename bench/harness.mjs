// Minimal timing harness: each case runs in rounds of many iterations, and the median round's time per
// iteration is reported, so one slow round (GC, the other core busy) does not skew a ratio.
import { mkdirSync, writeFileSync } from 'node:fs';

export async function measure(fn, { rounds = 15, minRoundMs = 100 } = {}) {
  // Calibrate: how many iterations make a round of about minRoundMs.
  let iterations = 1;
  for (;;) {
    const t = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) await fn();
    const ms = Number(process.hrtime.bigint() - t) / 1e6;
    if (ms >= minRoundMs / 4) {
      iterations = Math.max(1, Math.ceil((iterations * minRoundMs) / Math.max(ms, 0.001)));
      break;
    }
    iterations *= 4;
  }
  const perIterationNs = [];
  for (let r = 0; r < rounds; r++) {
    const t = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) await fn();
    perIterationNs.push(Number(process.hrtime.bigint() - t) / iterations);
  }
  perIterationNs.sort((a, b) => a - b);
  return { medianNs: perIterationNs[Math.floor(rounds / 2)], iterations, rounds };
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
