// Operator rules from airlock.yaml: per agent, database, statement kind, table, function and time
// window. A rule can only make a verdict stricter unless it is explicitly marked `unsafe: true`.
import type { PolicyRule } from '../config/schema.js';
import type { PolicyContext, StatementDecision, Tier } from '../domain/decision.js';
import { ruleApplies, stricter } from '../domain/decision.js';

const DAY_INDEX = { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 } as const;
const formatters = new Map<string, Intl.DateTimeFormat>();

function localTime(now: Date, timeZone: string): { day: number; minutes: number } {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    formatters.set(timeZone, f);
  }
  const parts = Object.fromEntries(f.formatToParts(now).map((p) => [p.type, p.value]));
  const day = DAY_INDEX[String(parts.weekday).toLowerCase().slice(0, 3) as keyof typeof DAY_INDEX];
  return { day, minutes: Number(parts.hour) * 60 + Number(parts.minute) };
}

const toMinutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** Is `now` inside the rule's window (days and from..to, wrapping past midnight)? */
export function inWindow(window: NonNullable<PolicyRule['window']>, now: Date): boolean {
  const { day, minutes } = localTime(now, window.timezone);
  const from = toMinutes(window.from);
  const to = toMinutes(window.to);
  const dayOk = window.days.some((d) => DAY_INDEX[d] === day);
  return dayOk && (from <= to ? minutes >= from && minutes <= to : minutes >= from || minutes <= to);
}

function tableMatches(pattern: string, table: string): boolean {
  const p = pattern.toLowerCase();
  const t = table.toLowerCase();
  if (p === t) return true;
  const [ps, pn] = p.includes('.') ? p.split('.', 2) : [null, p];
  const [ts, tn] = t.includes('.') ? t.split('.', 2) : [null, t];
  if (pn !== '*' && pn !== tn) return false;
  return ps === null || ts === null ? ps === null || ps === 'public' || pn !== '*' : ps === ts;
}

/** Does a rule select this statement (ignoring its time window)? */
export function ruleMatches(rule: PolicyRule, s: StatementDecision, ctx: PolicyContext): boolean {
  if (rule.integrations || rule.methods) return false; // an API rule
  if (!ruleApplies(rule, ctx)) return false;
  if (rule.databases && !(ctx.database && rule.databases.includes(ctx.database))) return false;
  if (rule.kinds && !rule.kinds.includes(s.kind)) return false;
  if (rule.tables) {
    const tables = [...s.tablesRead, ...s.tablesWritten];
    if (!rule.tables.some((p) => tables.some((t) => tableMatches(p, t)))) return false;
  }
  if (rule.functions) {
    const fns = s.functions.map((f) => f.toLowerCase());
    if (!rule.functions.some((p) => fns.some((f) => f === p.toLowerCase() || f.endsWith(`.${p.toLowerCase()}`)))) return false;
  }
  return windowAllows(rule, ctx.now);
}

/** Outside a rule's window (or inside it, for `outside: true`) the rule does not apply. */
export function windowAllows(rule: PolicyRule, now: Date = new Date()): boolean {
  return !rule.window || inWindow(rule.window, now) !== rule.outside;
}

/** Apply the configured rules to one statement's default verdict. Hard refusals stay refusals. */
export function applyRules(rules: PolicyRule[], s: StatementDecision, ctx: PolicyContext): StatementDecision {
  if (rules.length === 0 || s.rule === 'parse-error') return s;
  let out = s;
  for (const rule of rules) {
    if (!rule.unsafe || !ruleMatches(rule, s, ctx)) continue;
    out = { ...out, decision: rule.tier, rule: `config.${rule.name}`, reason: rule.reason ?? `rule ${rule.name} (unsafe override)` };
  }
  for (const rule of rules) {
    if (rule.unsafe || !ruleMatches(rule, s, ctx)) continue;
    const tier: Tier = stricter(out.decision, rule.tier);
    if (tier !== out.decision) {
      out = { ...out, decision: tier, rule: `config.${rule.name}`, reason: rule.reason ?? `rule ${rule.name}` };
    }
  }
  return out;
}
