// What Node's fetch (undici) can send as an HTTP header: anything else makes it throw inside the call,
// where it would look like the deployment's failure. Checked up front, the fault is named where it lies.

/** An HTTP token (RFC 9110 §5.6.2), the only form a header name may take. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Tab, visible ASCII and Latin-1 (obs-text): no CR, LF, NUL or other controls, nothing past U+00FF. */
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/** Whether `name` can be sent as a header name. */
export function isHeaderName(name: unknown): name is string {
  return typeof name === 'string' && TOKEN.test(name);
}

/** Whether `value` can be sent as a header value. */
export function isHeaderValue(value: unknown): value is string {
  return typeof value === 'string' && FIELD_VALUE.test(value);
}
