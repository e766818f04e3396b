import { SingleFlight } from '@llmcache/core/internal';

/** What one upstream call gave for one entry. */
export interface BatchItem<V, M> {
  value: V;
  /** About the call that made it (model, deployment, usage): the same object for every item of one call. */
  batch: M;
}

/**
 * Coalesces misses per entry across concurrent calls (embedding inputs): an entry another call is already
 * computing is waited for; the rest go upstream together in one call. A caller whose signal fires
 * leaves at once; a batch is aborted only when every caller waiting on any of its inputs has left.
 */
export class BatchFlights {
  private readonly flights = new SingleFlight();

  /**
   * `flightKeys[i]` names an entry by its flight key; `compute` is called at most once, with the positions
   * (in `flightKeys`) that nobody is computing yet, and must answer one value per position, in order.
   */
  async run<V, M>(
    flightKeys: readonly string[],
    compute: (positions: number[], signal: AbortSignal) => Promise<{ values: V[]; batch: M }>,
    signal: AbortSignal | undefined,
  ): Promise<{ items: BatchItem<V, M>[]; ledBatch: M | undefined }> {
    const led: { position: number; signal: AbortSignal }[] = [];
    let startBatch!: (batch: Promise<{ values: V[]; batch: M }>) => void;
    // Resolved with the batch's promise, so it settles as the batch does.
    const batchStarted = new Promise<{ values: V[]; batch: M }>((resolve) => (startBatch = resolve));
    const waits = flightKeys.map((flightKey, position) =>
      this.flights.run<BatchItem<V, M>>(
        flightKey,
        async (itemSignal) => {
          // Called at once for each input this call leads; the batch starts once every such input is known.
          const slot = led.push({ position, signal: itemSignal }) - 1;
          const { values, batch } = await batchStarted;
          return { value: values[slot]!, batch };
        },
        signal,
      ),
    );
    let ledBatch: Promise<{ values: V[]; batch: M }> | undefined;
    if (led.length > 0) {
      const controller = new AbortController();
      let waiting = led.length;
      for (const item of led) {
        const gone = () => --waiting === 0 && controller.abort(item.signal.reason);
        if (item.signal.aborted) gone();
        else item.signal.addEventListener('abort', gone, { once: true });
      }
      ledBatch = compute(
        led.map((item) => item.position),
        controller.signal,
      );
      ledBatch.catch(() => {}); // reaches the callers through their item promises
      startBatch(ledBatch);
    }
    const items = await Promise.all(waits.map((w) => w.promise));
    return { items, ledBatch: ledBatch ? (await ledBatch).batch : undefined };
  }
}
