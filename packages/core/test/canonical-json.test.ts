import { canonicalJson } from '@llmcache/core';

describe('canonicalJson', () => {
  it('prints every string and number exactly as JSON.stringify does', () => {
    const strings = ['', 'plain', 'quote " inside', 'back\\slash', 'new\nline', 'tab\t', '\u0000\u001f', '\u007f', 'é 😀', '\ud800 lone', 'lone \udc00', '\u2028\u2029', '</script>'];
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
