import type { Api } from '../graphql/api.ts';
import { DeliveryChangedDocument, type DeliveryFilter } from '../graphql/generated.ts';
import { countDeliveries, type DeliveryCount } from './delivery-counts.ts';

const MINUTE = 60_000;
export const WINDOW_MINUTES = 30;
/** While deliveries keep changing, counts are read again at most this often. */
const REFRESH_MS = 2_000;
/** And at least this often, so the window rolls on a quiet tenant. */
const ROLL_MS = 30_000;
/** And once more this long after the last change, so the tiles settle on a burst's end. */
const CONFIRM_MS = 6000;

export interface MinuteBucket {
  start: number;
  succeeded: number;
  failed: number;
}

export interface Totals {
  all: DeliveryCount;
  succeeded: DeliveryCount;
  pending: DeliveryCount;
  retrying: DeliveryCount;
  failed: DeliveryCount;
}

/**
 * The overview: deliveries per minute over the last 30 minutes (succeeded vs failing
 * or failed, by the minute they were created) and 24-hour totals. Counts come from
 * the server; deliveryUpdated only says "something changed", and a burst of changes
 * leads to one refresh per 2 seconds.
 */
export class Overview {
  minutes = $state.raw<MinuteBucket[]>([]);
  totals = $state.raw<Totals | null>(null);
  error = $state<string | null>(null);
  updatedAt = $state<number | null>(null);

  readonly #api: Api;
  #dirty = false;
  #running = false;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #confirm: ReturnType<typeof setTimeout> | null = null;
  #lastRun = 0;

  constructor(api: Api) {
    this.#api = api;
  }

  start(): () => void {
    const changed = () => {
      this.#schedule();
      if (this.#confirm) clearTimeout(this.#confirm);
      this.#confirm = setTimeout(() => this.#schedule(), CONFIRM_MS);
    };
    const stopLive = this.#api.subscribe(DeliveryChangedDocument, {}, { onData: changed, onResync: changed });
    const roll = setInterval(() => this.#schedule(), ROLL_MS);
    void this.refresh();
    return () => {
      stopLive();
      clearInterval(roll);
      if (this.#timer) clearTimeout(this.#timer);
      if (this.#confirm) clearTimeout(this.#confirm);
    };
  }

  #schedule(): void {
    this.#dirty = true;
    if (this.#timer || this.#running) return;
    const wait = Math.max(0, this.#lastRun + REFRESH_MS - Date.now());
    this.#timer = setTimeout(() => {
      this.#timer = null;
      void this.refresh();
    }, wait);
  }

  async refresh(now = Date.now()): Promise<void> {
    this.#running = true;
    this.#dirty = false;
    this.#lastRun = Date.now();
    const first = Math.floor(now / MINUTE) * MINUTE - (WINDOW_MINUTES - 1) * MINUTE;
    const starts = Array.from({ length: WINDOW_MINUTES }, (_, i) => first + i * MINUTE);
    const range = (start: number) => ({ createdFrom: new Date(start).toISOString(), createdTo: new Date(start + MINUTE - 1).toISOString() });
    const dayAgo = new Date(now - 24 * 60 * MINUTE).toISOString();
    const filters: DeliveryFilter[] = [
      ...starts.flatMap((start) => [
        { ...range(start), succeeded: true },
        { ...range(start), succeeded: false, attemptsMin: 1 },
      ]),
      { createdFrom: dayAgo },
      { createdFrom: dayAgo, status: ['SUCCEEDED'] },
      { createdFrom: dayAgo, status: ['PENDING'] },
      { createdFrom: dayAgo, status: ['RETRYING'] },
      { createdFrom: dayAgo, status: ['FAILED'] },
    ];
    try {
      const counts = await countDeliveries(this.#api, filters);
      this.minutes = starts.map((start, i) => ({ start, succeeded: counts[2 * i].count, failed: counts[2 * i + 1].count }));
      const [all, succeeded, pending, retrying, failed] = counts.slice(2 * WINDOW_MINUTES);
      this.totals = { all, succeeded, pending, retrying, failed };
      this.error = null;
      this.updatedAt = Date.now();
    } catch (error) {
      this.error = (error as Error).message;
    } finally {
      this.#running = false;
      // Changes that came in while counting need one more look.
      if (this.#dirty) this.#schedule();
    }
  }
}
