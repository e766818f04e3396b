// What Node's fetch can send as a header: anything else throws inside fetch, at call time, where it
// would look like the deployment's failure.

/** An HTTP token (RFC 9110), the only thing a header name may be. */
export function isHeaderName(name: string): boolean {
  return /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name);
}

/** A header value without CR, LF or NUL. */
export function isHeaderValue(value: string): boolean {
  return !/[\r\n\0]/.test(value);
}
