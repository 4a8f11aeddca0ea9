// How times, counts and cells read in the console. Cells use the server's own cellText, so a
// value reads the same here, in the CLI and in Slack.
export { cellText } from '../../src/domain/preview-diff.js';

const pad = (n: number) => String(n).padStart(2, '0');

/** "12 s ago", "5 min ago", "3 h ago", "2 d ago" */
export function ago(ms: number, now: number): string {
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 5) return 'just now';
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86_400)} d ago`;
}

/** "14:32" or "1:02:03" until `deadline`; "expired" once it has passed */
export function countdown(deadline: number, now: number): string {
  const s = Math.floor((deadline - now) / 1000);
  if (s <= 0) return 'expired';
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h ? `${h}:${pad(m)}:${pad(s % 60)}` : `${m}:${pad(s % 60)}`;
}

/** Local date and time, to the second: "2025-03-01 14:05:09" */
export function dateTime(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** ISO text for <time datetime> */
export const isoTime = (ms: number) => new Date(ms).toISOString();

/** "1 row" / "3 rows" */
export const rows = (n: number) => `${n} ${n === 1 ? 'row' : 'rows'}`;

/** The value of a datetime-local input as ms, or undefined when empty or invalid. */
export function localInputMs(value: string): number | undefined {
  if (!value) return undefined;
  const ms = new Date(value).getTime();
  return Number.isFinite(ms) ? ms : undefined;
}

export const STATUS_TEXT: Record<string, string> = {
  pending: 'Pending',
  approved: 'Approved, queued',
  executing: 'Executing',
  executed: 'Executed',
  denied: 'Denied',
  expired: 'Expired',
  failed: 'Failed',
  drifted: 'Not run: drifted',
};
