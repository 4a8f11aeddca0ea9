// Column masking, the gateway's part: one ColumnMasker per agent and database, built from the
// masking rules that apply to them and the database's catalog (which relation OID and attribute
// number each covered column has). Results, previews and (on the wire) DataRows pass through it.
import { createHmac } from 'node:crypto';
import type { AirlockConfig } from '../config/schema.js';
import { ruleApplies, type ColumnOrigins, type DatabaseCatalog, type Decision } from '../domain/decision.js';
import { globMatch } from '../domain/glob.js';
import {
  compileMaskRules,
  maskValue,
  patternCovers,
  patternTable,
  type ColumnMasker,
  type CompiledMaskRule,
  type FieldOrigin,
  type MaskText,
} from '../domain/masking.js';
import type { ApprovalRecord, PreviewSummary } from '../domain/approval.js';
import type { QueryResultData } from '../domain/request.js';
import { uniqueNames } from '../domain/columns.js';
import type { Targets } from '../domain/targets.js';
import { loadMasterKey } from '../vault/master-key.js';

/** The salt of the `hash` mode: configured, AIRLOCK_MASK_SALT, or derived from the vault's master key (one per deployment). */
function maskSalt(config: AirlockConfig, storeSchema?: string): string {
  const set = process.env.AIRLOCK_MASK_SALT ?? config.policy.masking.salt;
  if (set) return set;
  if (!config.policy.masking.rules.some((r) => r.mode === 'hash')) return '';
  const key = loadMasterKey(config.store.url, storeSchema, true)!.key;
  return createHmac('sha256', key).update('airlock column-mask salt').digest('hex');
}

class AgentMasker implements ColumnMasker {
  constructor(
    private readonly rules: CompiledMaskRule[],
    private readonly origins: () => ColumnOrigins | undefined,
  ) {}

  plan(fields: readonly FieldOrigin[]): (MaskText | null)[] | null {
    const origins = this.origins();
    let out: (MaskText | null)[] | null = null;
    for (let i = 0; i < fields.length; i++) {
      const mask = this.ofField(fields[i], origins);
      if (mask === null) continue;
      out ??= new Array<MaskText | null>(fields.length).fill(null);
      out[i] = mask;
    }
    return out;
  }

  private ofField(f: FieldOrigin, origins: ColumnOrigins | undefined): MaskText | null {
    const table = f.tableID ?? 0;
    if (origins && table !== 0 && origins.relations.has(table)) {
      const o = origins.covered.get(table)?.get(f.columnID ?? 0);
      return o ? this.find((p) => patternCovers(p, o.schema, o.table, o.column)) : null;
    }
    // origin unknown (an expression, a relation newer than the catalog, no catalog): by the column's name
    return this.find((p) => globMatch(p.column, f.name));
  }

  ofTableColumn(table: string, column: string): MaskText | null {
    return this.find((p) => patternTable(p, table) && globMatch(p.column, column));
  }

  private find(test: (p: CompiledMaskRule['patterns'][number]) => boolean): MaskText | null {
    for (const r of this.rules) if (r.patterns.some(test)) return r.mask;
    return null;
  }
}

export class Masking {
  private readonly rules: CompiledMaskRule[];
  private readonly unmask: ReadonlySet<string>;
  private readonly maskers = new Map<string, ColumnMasker | null>();
  /** results already masked (an outcome can pass two deliveries): a hash is never hashed again */
  private readonly masked = new WeakSet<QueryResultData>();

  constructor(
    config: AirlockConfig,
    private readonly targets: Targets,
    private readonly catalog: (database: string) => DatabaseCatalog,
    storeSchema?: string,
  ) {
    this.rules = compileMaskRules(config.policy.masking.rules, maskSalt(config, storeSchema));
    this.unmask = new Set(config.policy.masking.unmaskReviewers);
  }

  get active(): boolean {
    return this.rules.length > 0;
  }

  /** For the catalog reader: does any rule cover this column? */
  readonly covers = (schema: string, table: string, column: string): boolean =>
    this.rules.some((r) => r.patterns.some((p) => patternCovers(p, schema, table, column)));

  /**
   * The agent's masker on this database; null when no rule applies (nothing to do). Without an
   * agent: a reviewer's, with every rule of the database's target whichever agent it names.
   */
  forAgent(agent: string | null, database: string): ColumnMasker | null {
    if (this.rules.length === 0) return null;
    const key = `${agent ?? ''}\0${database}`;
    const hit = this.maskers.get(key);
    if (hit !== undefined) return hit;
    const t = this.targets.of(database);
    const scope = { target: t.name, label: t.label };
    const rules = this.rules.filter((r) =>
      agent === null ? ruleApplies({ ...r.rule, agents: undefined }, scope) : ruleApplies(r.rule, { agent, ...scope }),
    );
    const masker = rules.length ? new AgentMasker(rules, () => this.catalog(database).columns) : null;
    if (this.maskers.size >= 10_000) this.maskers.clear();
    this.maskers.set(key, masker);
    return masker;
  }

  /** A result with its masked columns replaced (the same object when nothing is masked). */
  result(r: QueryResultData, masker: ColumnMasker | null): QueryResultData {
    if (this.masked.has(r)) return r;
    const plan = masker?.plan(r.fields);
    if (!plan || r.rows.length === 0) return r;
    const names = uniqueNames(r.fields);
    const rows = r.rows.map((row) => {
      const out = { ...row };
      plan.forEach((mask, i) => {
        if (mask) out[names[i]] = maskValue(mask, r.fields[i].dataTypeID, false, textOf(row[names[i]]));
      });
      return out;
    });
    const masked = { ...r, rows };
    this.masked.add(masked);
    return masked;
  }

  /** A write's preview with the masked columns of the table it writes replaced (rows and before-images). */
  preview(p: PreviewSummary, decision: Decision | null, masker: ColumnMasker | null): PreviewSummary {
    const table = decision?.statements.flatMap((s) => s.tablesWritten)[0];
    if (!masker || table === undefined || (!p.rows?.length && !p.before?.length)) return p;
    const maskRow = (row: Record<string, unknown>) => {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(row)) {
        const mask = masker.ofTableColumn(table, k);
        out[k] = mask ? (v === null || v === undefined ? v : typeof v === 'string' ? mask(v) : null) : v;
      }
      return out;
    };
    return { ...p, ...(p.rows ? { rows: p.rows.map(maskRow) } : {}), ...(p.before ? { before: p.before.map(maskRow) } : {}) };
  }

  /** Config keys of column patterns without `*` that cover no column of these catalogs (typos would silently mask nothing). */
  unknownColumns(catalogs: readonly ColumnOrigins[]): string[] {
    const out: string[] = [];
    this.rules.forEach((r, i) =>
      r.patterns.forEach((p, j) => {
        if (r.rule.columns[j].includes('*')) return;
        const found = catalogs.some((c) =>
          [...c.covered.values()].some((cols) => [...cols.values()].some((o) => patternCovers(p, o.schema, o.table, o.column))),
        );
        if (!found) out.push(`policy.masking.rules.${i}.columns.${j}: no column "${r.rule.columns[j]}"`);
      }),
    );
    return out;
  }

  /**
   * An approval as a reviewer (null: a webhook, Slack or email notice) may see it: the preview's
   * rows and the executed result masked, unless the reviewer is in `unmaskReviewers`.
   */
  forReviewer(rec: ApprovalRecord, reviewer: string | null): ApprovalRecord {
    if (this.rules.length === 0 || rec.call || (reviewer !== null && this.unmask.has(reviewer))) return rec;
    const masker = this.forAgent(null, rec.database);
    if (!masker) return rec;
    const preview = rec.preview ? this.preview(rec.preview, rec.decision, masker) : rec.preview;
    const r = rec.result as QueryResultData | null;
    const result = r && Array.isArray(r.rows) && Array.isArray(r.fields) ? this.result(r, masker) : rec.result;
    return preview === rec.preview && result === rec.result ? rec : { ...rec, preview, result };
  }
}

const textOf = (v: unknown): string | null => (v === null || v === undefined ? null : typeof v === 'string' ? v : String(v));
