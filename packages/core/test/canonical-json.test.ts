import { canonicalJson } from '@llmcache/core/internal';

describe('canonicalJson', () => {
  it('prints every string and number exactly as JSON.stringify does', () => {
    const strings = [
      '',
      'plain',
      'quote " inside',
      'back\\slash',
      'new\nline',
      'tab\t',
      '\u0000\u001f',
      '\u007f',
      'é 😀',
      '\ud800 lone',
      'lone \udc00',
      '\u2028\u2029',
      '</script>',
    ];
    const numbers = [0, -0, 1, -1.5, 1e21, 1e-7, 123456789012345680000, Number.MAX_SAFE_INTEGER, Number.MIN_VALUE, Number.NaN, Infinity, -Infinity];
    for (const value of [...strings, ...numbers, true, false, null]) {
      expect(canonicalJson(value)).toBe(JSON.stringify(value));
      expect(canonicalJson({ [String(value)]: value })).toBe(JSON.stringify({ [String(value)]: value }));
    }
  });

  it('refuses a cycle with a TypeError, and writes a shared (acyclic) object twice', () => {
    const cycle: Record<string, unknown> = {};
    cycle.self = { back: cycle };
    expect(() => canonicalJson(cycle)).toThrow(TypeError);
    expect(() => canonicalJson([cycle])).toThrow(/circular/);
    const shared = { b: 1 };
    expect(canonicalJson({ x: shared, y: [shared, shared] })).toBe('{"x":{"b":1},"y":[{"b":1},{"b":1}]}');
  });
});

describe('canonicalJson key order', () => {
  it('orders keys as Array.prototype.sort does, for few keys and for many', () => {
    // Code-unit order: digits, then upper case, then lower; an emoji's surrogate pair sorts before U+FFFF.
    const alphabet = ['a', 'B', 'b', '0', '_', 'é', '😀', '\uffff', 'aa', 'a0', ''];
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    for (const size of [0, 1, 2, 3, 5, 8, 16, 17, 40]) {
      for (let round = 0; round < 20; round++) {
        const record: Record<string, number> = {};
        while (Object.keys(record).length < size)
          record[alphabet[next() % alphabet.length]! + alphabet[next() % alphabet.length]! + String(next() % 50)] = next() % 9;
        const expected = `{${Object.keys(record)
          .sort()
          .map((k) => `${JSON.stringify(k)}:${record[k]}`)
          .join(',')}}`;
        expect(canonicalJson(record)).toBe(expected);
      }
    }
  });
});
