import { describeValue } from '@llmcache/core/internal';
import { RouterConfigError } from './errors';
import type { RouterLogger } from './types';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

/** Fields of a log line: ids, groups, models, keys, statuses; an `error` is reduced to its class, status and scrubbed message. */
export type LogFields = Record<string, unknown>;

/**
 * What looks like a credential in free text (provider error messages echo keys: "Incorrect API key
 * provided: sk-…"). Each match is replaced by `***`; the first group, when there is one, is kept.
 */
const SECRET_PATTERNS: readonly RegExp[] = [
  /(\bBearer\s+)[^\s"',;]+/gi,
  /(\bBasic\s+)[A-Za-z0-9+/=]{8,}/g,
  // sk-…, sk-proj-…, sk-ant-…, key-…, rk-…, pk-…: a prefix, then a run that has a digit in it.
  /\b(?:sk|key|rk|pk)[-_](?=[A-Za-z0-9_-]*\d)[A-Za-z0-9_-]{6,}/g,
  /\bAKIA[0-9A-Z]{16}\b/g,
  /\bAIza[0-9A-Za-z_-]{30,}/g,
  // Credentials in a URL's query or user info (`?key=…`, `redis://user:password@host`).
  /([?&](?:key|api[_-]?key|token|access_token|sig|signature)=)[^&\s"']+/gi,
  /(:\/\/[^/\s:@]*:)[^@\s/]+(?=@)/g,
];

/** Param names whose values are secrets: their exact values are scrubbed from every line. */
const SECRET_NAME = /key|secret|token|password|credential|authorization/i;

/** Shorter values are too common to scrub as text without mangling ordinary words. */
const MIN_SECRET_LENGTH = 4;

const silent = (): void => {};

/**
 * The router's log: level filtering, formatting and scrubbing live here, so call sites are one line.
 * A logger that throws never fails a call: every write is wrapped.
 */
export class RouterLog {
  readonly debug: (message: string, fields?: LogFields) => void;
  readonly info: (message: string, fields?: LogFields) => void;
  readonly warn: (message: string, fields?: LogFields) => void;
  readonly error: (message: string, fields?: LogFields) => void;
  /** Whether debug lines go anywhere: a call site on the hit path checks it before building its fields. */
  readonly logsDebug: boolean;
  private readonly secrets: RegExp | undefined;

  /**
   * @param logger the `logger` option; without it, `LLMCACHE_LOG` of `env` picks a stderr logger's level (unset: silent).
   * @param secretSources deployment params and the like: the values of their secret-named fields are scrubbed as they are.
   */
  constructor(logger: unknown, secretSources: Iterable<Record<string, unknown>>, env: Record<string, string | undefined> = process.env) {
    const envLevel = logger === undefined ? levelFromEnv(env.LLMCACHE_LOG) : undefined;
    const sink = logger !== undefined ? validLogger(logger) : envLevel === undefined ? undefined : stderrLogger(envLevel);
    this.secrets = secretMatcher(secretSources, env);
    const method = (level: LogLevel) => {
      if (!sink?.[level] || sink[level] === silent) return silent;
      // Bound to the logger: a logger's method may use its `this` (pino's do).
      const write = sink[level].bind(sink);
      return (message: string, fields: LogFields = {}) => {
        try {
          write(this.scrubFields(fields), message);
        } catch {
          // A broken logger must not break the call it reports on.
        }
      };
    };
    this.debug = method('debug');
    this.logsDebug = this.debug !== silent;
    this.info = method('info');
    this.warn = method('warn');
    this.error = method('error');
  }

  /** The text with every credential-looking part, and every known secret value, replaced by `***`. */
  scrub(text: string): string {
    let out = this.secrets ? text.replace(this.secrets, '***') : text;
    for (const pattern of SECRET_PATTERNS) out = out.replace(pattern, (_, kept: unknown) => `${typeof kept === 'string' ? kept : ''}***`);
    return out;
  }

  private scrubFields(fields: LogFields): LogFields {
    const out: LogFields = {};
    for (const [name, value] of Object.entries(fields)) {
      if (value === undefined) continue;
      out[name] = this.scrubValue(value);
    }
    return out;
  }

  /** Call sites pass ids, names, numbers and errors; anything else is flattened to scrubbed text rather than trusted. */
  private scrubValue(value: unknown): unknown {
    if (value instanceof Error) return this.describeError(value);
    if (typeof value === 'string') return this.scrub(value);
    if (typeof value === 'number' || typeof value === 'boolean' || value === null) return value;
    if (Array.isArray(value)) return value.map((item) => this.scrubValue(item));
    return this.scrub(describeValue(value));
  }

  /** An error as a log field: its class, HTTP status when it has one, and its scrubbed message; never its cause or request. */
  private describeError(error: Error): LogFields {
    const status = (error as { status?: unknown }).status;
    return { name: error.name, ...(typeof status === 'number' ? { status } : {}), message: this.scrub(error.message) };
  }
}

/** `LLMCACHE_LOG`, as LiteLLM reads `LITELLM_LOG`: a level name in any case; unset or empty is silent. */
export function levelFromEnv(value: string | undefined): LogLevel | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const level = value.trim().toLowerCase() as LogLevel;
  if (!LEVELS.includes(level))
    throw new RouterConfigError('LLMCACHE_LOG', `must be one of ${LEVELS.join(', ')} (or unset for no logs), got ${describeValue(value)}`);
  return level;
}

/**
 * One line per event on stderr from `level` up: `[llmcache] warn cooldown {"modelGroup":"gpt-4",…}`. The
 * default logger under `LLMCACHE_LOG`, and what a config's `litellm_settings.set_verbose: true` maps to (at `debug`).
 */
export function stderrLogger(level: LogLevel): RouterLogger {
  const enabled = new Set(LEVELS.slice(LEVELS.indexOf(level)));
  const at = (name: LogLevel) =>
    enabled.has(name) ? (fields: LogFields, message: string) => void process.stderr.write(`[llmcache] ${name} ${message} ${JSON.stringify(fields)}\n`) : silent;
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

function validLogger(logger: unknown): RouterLogger {
  const missing =
    typeof logger === 'object' && logger !== null ? LEVELS.filter((name) => typeof (logger as Record<string, unknown>)[name] !== 'function') : LEVELS;
  if (missing.length > 0) {
    throw new RouterConfigError(
      'logger',
      `must be an object with debug, info, warn and error methods (pino and console fit); missing ${missing.join(', ')} on ${describeValue(logger)}`,
    );
  }
  return logger as RouterLogger;
}

/**
 * One pattern for every secret value the router knows: secret-named params of its deployments (and
 * their headers), and secret-named environment variables (where providers find their default keys).
 */
function secretMatcher(sources: Iterable<Record<string, unknown>>, env: Record<string, string | undefined>): RegExp | undefined {
  const values = new Set<string>();
  const collect = (record: Record<string, unknown>, depth: number) => {
    for (const [name, value] of Object.entries(record)) {
      if (typeof value === 'string' && SECRET_NAME.test(name) && value.length >= MIN_SECRET_LENGTH) values.add(value);
      else if (depth > 0 && typeof value === 'object' && value !== null && !Array.isArray(value)) collect(value as Record<string, unknown>, depth - 1);
    }
  };
  for (const source of sources) collect(source, 1);
  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined && value.length >= 8 && SECRET_NAME.test(name)) values.add(value);
  }
  if (values.size === 0) return undefined;
  // Longest first, so that a key containing another is replaced whole.
  const alternatives = [...values].sort((a, b) => b.length - a.length).map((v) => v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(alternatives.join('|'), 'g');
}
