import { CacheConfigError } from './errors';

// Small checkers shared by option validation in every package; each names the option it rejects.

export function positiveInteger(pkg: string, option: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new CacheConfigError(pkg, option, `must be a positive integer, got ${describe(value)}`);
  }
  return value;
}

export function positiveNumber(pkg: string, option: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new CacheConfigError(pkg, option, `must be a positive number, got ${describe(value)}`);
  }
  return value;
}

export function nonNegativeNumber(pkg: string, option: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new CacheConfigError(pkg, option, `must be a number of 0 or more, got ${describe(value)}`);
  }
  return value;
}

/**
 * The longest delay a Node timer can wait: 2^31-1 ms, about 24.8 days. A longer one does not wait
 * longer: Node warns (TimeoutOverflowWarning) and fires it after 1 ms.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** A positive number of milliseconds that a timer can wait (at most `MAX_TIMER_MS`). */
export function timerMilliseconds(pkg: string, option: string, value: unknown): number {
  positiveNumber(pkg, option, value);
  if ((value as number) > MAX_TIMER_MS) {
    throw new CacheConfigError(pkg, option, `must be at most ${MAX_TIMER_MS} ms (about 24.8 days, the longest a timer can wait), got ${describe(value)}`);
  }
  return value as number;
}

export function trueOrFalse(pkg: string, option: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new CacheConfigError(pkg, option, `must be true or false, got ${describe(value)}`);
  return value;
}

export function nonEmptyString(pkg: string, option: string, value: unknown): string {
  if (typeof value !== 'string' || value === '') {
    throw new CacheConfigError(pkg, option, `must be a non-empty string, got ${describe(value)}`);
  }
  return value;
}

export function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'function') return 'a function';
  // JSON would print NaN and ±Infinity as null, hiding the very value that is wrong.
  if (typeof value === 'number') return String(value);
  if (typeof value === 'bigint') return `${value}n`;
  try {
    const s = JSON.stringify(value);
    return s.length > 60 ? `${s.slice(0, 57)}...` : s;
  } catch {
    return typeof value;
  }
}
