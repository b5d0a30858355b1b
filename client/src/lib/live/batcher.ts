/**
 * Collects live events and hands them over in one batch per interval, so a burst of a
 * thousand subscription events a second redraws a table four times, not a thousand.
 * With `keyOf`, a later event for the same key replaces the earlier one in the batch
 * (only a delivery's latest state matters), which also bounds memory during a burst.
 */
export class Batcher<T> {
  readonly #apply: (items: T[]) => void;
  readonly #intervalMs: number;
  readonly #keyOf: ((item: T) => string) | undefined;
  #items = new Map<string | number, T>();
  #next = 0;
  #timer: ReturnType<typeof setTimeout> | null = null;

  constructor(apply: (items: T[]) => void, options: { intervalMs?: number; keyOf?: (item: T) => string } = {}) {
    this.#apply = apply;
    this.#intervalMs = options.intervalMs ?? 250;
    this.#keyOf = options.keyOf;
  }

  push(item: T): void {
    const key = this.#keyOf ? this.#keyOf(item) : this.#next++;
    // Delete first so a replaced item moves to the end: the batch keeps arrival order.
    this.#items.delete(key);
    this.#items.set(key, item);
    this.#timer ??= setTimeout(() => this.flush(), this.#intervalMs);
  }

  flush(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    if (!this.#items.size) return;
    const items = [...this.#items.values()];
    this.#items = new Map();
    this.#apply(items);
  }

  dispose(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#items.clear();
  }
}
