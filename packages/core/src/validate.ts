import { CacheConfigError } from './errors';

// Small checkers shared by option validation in every package; each names the option it rejects.

/** The longest delay Node's timers take (about 24.8 days); a longer one fires at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

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

export function nonEmptyString(pkg: string, option: string, value: unknown): string {
  if (typeof value !== 'string' || value === '') {
    throw new CacheConfigError(pkg, option, `must be a non-empty string, got ${describe(value)}`);
  }
  return value;
}

export function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value); // JSON would say null
  if (typeof value === 'bigint') return `${value}n`;
  try {
    const s = JSON.stringify(value);
    return s.length > 60 ? `${s.slice(0, 57)}...` : s;
  } catch {
    return typeof value;
  }
}
