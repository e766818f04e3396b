import { SingleFlight } from '@llmcache/core';

/** What one upstream embedding call gave for one input. */
export interface EmbeddedItem<M> {
  embedding: number[] | string;
  /** About the call that made it (model, deployment, usage): the same object for every item of one call. */
  batch: M;
}

/**
 * Coalesces embedding misses per input across concurrent calls: an input already being embedded by
 * another call is waited for; the rest go upstream together in one call. A caller whose signal fires
 * leaves at once; a batch is aborted only when every caller waiting on any of its inputs has left.
 */
export class EmbeddingFlights {
  private readonly flights = new SingleFlight();

  /**
   * `items[i]` names an input by its flight key; `embed` is called at most once, with the positions (in
   * `items`) that nobody is embedding yet, and must answer one vector per position, in order.
   */
  async run<M>(
    flightKeys: readonly string[],
    embed: (positions: number[], signal: AbortSignal) => Promise<{ embeddings: (number[] | string)[]; batch: M }>,
    signal: AbortSignal | undefined,
  ): Promise<{ items: EmbeddedItem<M>[]; ledBatch: M | undefined }> {
    const led: { position: number; signal: AbortSignal }[] = [];
    let startBatch!: (batch: Promise<{ embeddings: (number[] | string)[]; batch: M }>) => void;
    const batchStarted = new Promise<Promise<{ embeddings: (number[] | string)[]; batch: M }>>((resolve) => (startBatch = resolve));
    const waits = flightKeys.map((flightKey, position) =>
      this.flights.run<EmbeddedItem<M>>(
        flightKey,
        async (itemSignal) => {
          // Called at once for each input this call leads; the batch starts once every such input is known.
          const slot = led.push({ position, signal: itemSignal }) - 1;
          const { embeddings, batch } = await (await batchStarted);
          return { embedding: embeddings[slot]!, batch };
        },
        signal,
      ),
    );
    let ledBatch: Promise<{ embeddings: (number[] | string)[]; batch: M }> | undefined;
    if (led.length > 0) {
      const controller = new AbortController();
      let waiting = led.length;
      for (const item of led) {
        const gone = () => --waiting === 0 && controller.abort(item.signal.reason);
        if (item.signal.aborted) gone();
        else item.signal.addEventListener('abort', gone, { once: true });
      }
      ledBatch = embed(led.map((item) => item.position), controller.signal);
      ledBatch.catch(() => {}); // reaches the callers through their item promises
      startBatch(ledBatch);
    }
    const items = await Promise.all(waits.map((w) => w.promise));
    return { items, ledBatch: ledBatch ? (await ledBatch).batch : undefined };
  }
}
