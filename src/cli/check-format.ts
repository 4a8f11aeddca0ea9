// Human-readable rendering of a Decision for `airlock check` (colour only on a TTY).
import type { Decision, Tier } from '../domain/decision.js';

const COLOUR: Record<Tier, string> = { auto: '\x1b[32m', ask: '\x1b[33m', block: '\x1b[31m' };
const RESET = '\x1b[0m';
const DIM = '\x1b[2m';

export function formatDecision(d: Decision, colour: boolean): string {
  const paint = (tier: Tier, text: string) => (colour ? `${COLOUR[tier]}${text}${RESET}` : text);
  const dim = (text: string) => (colour ? `${DIM}${text}${RESET}` : text);
  const lines = [`${paint(d.decision, d.decision.toUpperCase())}  ${d.reason}  ${dim(`[${d.rule}]`)}`];
  if (d.statements.length > 1 || (d.statements.length === 1 && d.statements[0].sql.length > 0)) {
    for (const s of d.statements) {
      const sql = s.sql.replace(/\s+/g, ' ');
      lines.push(`  ${s.index + 1}. ${paint(s.decision, s.decision.padEnd(5))} ${sql.length > 72 ? `${sql.slice(0, 69)}...` : sql}`);
      lines.push(`     ${dim(`${s.kind} · ${s.rule}`)} ${s.reason}`);
      const facts = [
        s.tablesRead.length ? `reads ${s.tablesRead.join(', ')}` : '',
        s.tablesWritten.length ? `writes ${s.tablesWritten.join(', ')}` : '',
        s.functions.length ? `calls ${[...new Set(s.functions)].join(', ')}` : '',
        s.flags.length ? `flags ${s.flags.join(', ')}` : '',
      ].filter(Boolean);
      if (facts.length) lines.push(`     ${dim(facts.join(' · '))}`);
    }
  }
  return lines.join('\n');
}

export const EXIT_CODE: Record<Tier, number> = { auto: 0, ask: 2, block: 1 };
