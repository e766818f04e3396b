/**
 * Canonical JSON: object keys sorted by UTF-16 code unit order (as `Array.prototype.sort`), no
 * whitespace, `undefined` object members dropped, everything else exactly as `JSON.stringify` prints it
 * (so `undefined` in arrays is `null`, non-finite numbers are `null`, `toJSON` is honoured).
 */
export function canonicalJson(value: unknown): string {
  const out = write(value, []);
  if (out === undefined) throw new TypeError('canonicalJson: value has no JSON form');
  return out;
}

/** `ancestors`: the objects being written around `value`, so a cycle is a TypeError rather than a stack overflow. */
function write(value: unknown, ancestors: object[]): string | undefined {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return quote(value);
    case 'number':
      return Number.isFinite(value) ? String(value) : 'null'; // String prints finite numbers as JSON does
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      throw new TypeError('canonicalJson: BigInt has no JSON form');
    case 'object':
      break;
    default:
      return undefined; // undefined, functions, symbols: dropped like JSON.stringify does
  }
  const withToJson = value as { toJSON?: () => unknown };
  if (typeof withToJson.toJSON === 'function') return write(withToJson.toJSON(), ancestors);
  if (ancestors.includes(value)) throw new TypeError('canonicalJson: value is circular');
  ancestors.push(value);
  let s: string;
  if (Array.isArray(value)) {
    s = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) s += ',';
      s += write(value[i], ancestors) ?? 'null';
    }
    s += ']';
  } else {
    const record = value as Record<string, unknown>;
    const keys = sortedKeys(record);
    s = '{';
    let first = true;
    for (const k of keys) {
      const v = write(record[k], ancestors);
      if (v === undefined) continue;
      if (!first) s += ',';
      first = false;
      s += memberPrefix(k) + v;
    }
    s += '}';
  }
  ancestors.pop();
  return s;
}

/**
 * The object's keys in `Array.prototype.sort` order (UTF-16 code units). Most objects have a few keys,
 * which an insertion sort orders several times faster than `sort`, and without its scratch arrays.
 */
function sortedKeys(record: object): string[] {
  const keys = Object.keys(record);
  if (keys.length > 16) return keys.sort();
  for (let i = 1; i < keys.length; i++) {
    const key = keys[i]!;
    let j = i - 1;
    for (; j >= 0 && keys[j]! > key; j--) keys[j + 1] = keys[j]!;
    keys[j + 1] = key;
  }
  return keys;
}

/** `"key":` of the keys seen most: requests repeat the same few, and each written once costs a regex and two strings. */
const memberPrefixes = new Map<string, string>();
const MAX_MEMBER_PREFIXES = 1024;

function memberPrefix(key: string): string {
  let prefix = memberPrefixes.get(key);
  if (prefix === undefined) {
    prefix = `${quote(key)}:`;
    if (memberPrefixes.size < MAX_MEMBER_PREFIXES) memberPrefixes.set(key, prefix);
  }
  return prefix;
}

/** A string JSON.stringify prints as is between quotes: no control character, quote, backslash or surrogate. */
const PLAIN = /^[^\u0000-\u001f"\\\ud800-\udfff]*$/;

/** A JSON string literal; most strings need no escaping, and quoting them directly is much cheaper. */
function quote(text: string): string {
  return PLAIN.test(text) ? `"${text}"` : JSON.stringify(text);
}
