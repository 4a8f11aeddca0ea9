// Risk badge and hints, and the small status/door badges used across the console. The level is
// written out in words (colour is never the only signal).
import type { ApprovalView, RiskHint, RiskLevel } from './types.js';
import { STATUS_TEXT } from './format.js';

const LEVEL_TEXT: Record<RiskLevel, string> = { high: 'High risk', medium: 'Medium risk', low: 'Low risk' };

export function RiskBadge(props: { level: RiskLevel }) {
  return <span class={`badge risk-${props.level}`}>{LEVEL_TEXT[props.level]}</span>;
}

export function RiskHints(props: { risks: RiskHint[] }) {
  if (!props.risks.length) return <p class="muted">No risk hints.</p>;
  return (
    <ul class="risks" aria-label="Risk hints">
      {props.risks.map((r, i) => (
        <li key={i} class={`risk-${r.level}`}>
          <span class="visually-hidden">{LEVEL_TEXT[r.level]}: </span>
          {r.text}
        </li>
      ))}
    </ul>
  );
}

export function StatusBadge(props: { status: string }) {
  return <span class={`badge status status-${props.status}`}>{STATUS_TEXT[props.status] ?? props.status}</span>;
}

const DOOR_TEXT: Record<string, string> = { wire: 'Postgres wire', mcp: 'MCP', api: 'API call', rest: 'HTTP API', cli: 'CLI' };

export function DoorBadge(props: { door: string }) {
  return <span class="badge door">{DOOR_TEXT[props.door] ?? props.door}</span>;
}

/** "database shop" or "integration github" */
export function Target(props: { approval: ApprovalView }) {
  const t = props.approval.facts.target;
  return (
    <span class="target">
      {t.kind === 'integration' ? 'integration ' : 'database '}
      <strong>{t.name}</strong>
    </span>
  );
}

/** A waiting client (psql holding its statement, an MCP long-poll) or none. */
export function WaitingBadge(props: { approval: ApprovalView }) {
  const n = props.approval.facts.waiting;
  if (!['pending', 'approved', 'executing'].includes(props.approval.status)) return null;
  return n > 0 ? (
    <span class="badge waiting">{n === 1 ? 'client waiting' : `${n} clients waiting`}</span>
  ) : (
    <span class="badge idle">no client waiting</span>
  );
}

/** The rule that held it and why. */
export function RuleLine(props: { approval: ApprovalView }) {
  const d = props.approval.decision;
  if (!d) return null;
  return (
    <span class="rule">
      rule <code>{d.rule}</code>: {d.reason}
    </span>
  );
}
