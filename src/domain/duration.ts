// Durations as people type them: 90s, 30m, 24h, 7d, 2w (one number and one unit).
import { invalidParameterValue } from '../errors.js';

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** Milliseconds of "24h" and the like; throws 22023 on anything else. */
export function parseDuration(text: string, what = 'duration'): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$/i.exec(String(text));
  const ms = m ? Number(m[1]) * UNIT_MS[m[2].toLowerCase()] : NaN;
  if (!Number.isFinite(ms) || ms <= 0 || ms > 10 * 365 * 86_400_000) {
    throw invalidParameterValue(
      `invalid ${what} ${JSON.stringify(String(text).slice(0, 40))}: expected a number and a unit, e.g. 90s, 30m, 24h, 7d, 2w`,
    );
  }
  return Math.round(ms);
}
