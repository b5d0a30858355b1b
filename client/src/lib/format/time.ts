const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
const timeOnly = new Intl.DateTimeFormat(undefined, { timeStyle: 'medium' });

/** A date and time in the browser's zone; today's times without the date. */
export function formatLocal(iso: string, now = new Date()): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return date.toDateString() === now.toDateString() ? timeOnly.format(date) : dateTime.format(date);
}

/** `datetime-local` input value (browser's zone) → ISO instant; '' → null. */
export function localInputToIso(value: string): string | null {
  if (!value) return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

/** ISO instant → `datetime-local` input value in the browser's zone. */
export function isoToLocalInput(iso: string | null | undefined): string {
  if (!iso) return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  const local = new Date(date.getTime() - date.getTimezoneOffset() * 60_000);
  return local.toISOString().slice(0, 16);
}

const UNITS: [string, number][] = [
  ['d', 86_400],
  ['h', 3_600],
  ['m', 60],
  ['s', 1],
];

/** 300 → "5m", 5400 → "1h30m". */
export function formatSeconds(seconds: number): string {
  if (seconds === 0) return '0s';
  let rest = seconds;
  let out = '';
  for (const [unit, size] of UNITS) {
    if (rest >= size) {
      out += `${Math.floor(rest / size)}${unit}`;
      rest %= size;
    }
  }
  return out;
}

/** "5s, 5m, 1h30m" or "5, 300" → seconds; throws with a readable message. */
export function parseSchedule(text: string): number[] {
  const parts = text.split(/[,\s]+/).filter(Boolean);
  return parts.map((part) => {
    if (/^\d+$/.test(part)) return Number(part);
    const match = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/i.exec(part);
    if (!match || part === '') throw new Error(`"${part}" is not a duration; write seconds or e.g. 5s, 5m, 2h, 1d`);
    const [, d, h, m, s] = match.map((x) => Number(x ?? 0));
    return d * 86_400 + h * 3_600 + m * 60 + s;
  });
}

export function formatDuration(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}
