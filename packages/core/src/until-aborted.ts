/**
 * Settles as `promise` does, or rejects with the signal's reason as soon as it fires (at once if it
 * already has). The work itself is not cancelled: it runs on under its own timeout, observed, so that its
 * late failure is never an unhandled rejection. Without a signal, `promise` itself.
 */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
}
