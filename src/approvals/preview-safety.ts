// Decide, before running it, whether a statement's preview could leave a trace that ROLLBACK
// does not undo: sequence advances, notifications, user functions (which may call dblink,
// nextval, ...), triggers and rules. Looks at the statement and at everything PostgreSQL will
// run on its behalf: column defaults, CHECKs, index expressions, domains, policies, views, casts.
import type { PoolClient } from 'pg';
import { classifyFunction } from '../sql/functions.js';
import { collectFacts, defaultedColumns, updatedColumns, writeActions, type TreeFacts } from './preview-facts.js';
import * as cat from './preview-catalog.js';
import * as fns from './preview-functions-catalog.js';
import { parseStatements, type ParsedStatement } from './rewrite.js';
import type { T } from '../sql/tree.js';

export interface SafetyVerdict {
  /** set when the statement must not be previewed */
  reason?: string;
  /** false when the written rows depend on the clock or randomness: compare counts only */
  deterministic: boolean;
  target?: cat.RelationInfo;
  /** primary key columns of the target, for pairing before- and after-images */
  primaryKey: string[];
}

interface Source {
  what: string;
  facts: TreeFacts;
}

/** Volatile but without lasting effects: allowed in previews, their output differs per run. */
const HARMLESS_VOLATILE = new Set(['random', 'random_normal', 'gen_random_uuid', 'clock_timestamp', 'timeofday']);
/** Stable or harmless functions whose result differs between preview and execution. */
const RUN_DEPENDENT = new Set([
  ...HARMLESS_VOLATILE,
  'now',
  'transaction_timestamp',
  'statement_timestamp',
  'age',
  'pg_backend_pid',
  'inet_client_addr',
  'inet_client_port',
  'inet_server_addr',
  'inet_server_port',
  'pg_postmaster_start_time',
  'pg_conf_load_time',
  'pg_current_snapshot',
  'txid_current_snapshot',
  'pg_trigger_depth',
]);
/** Not blocked by policy everywhere, but each runs SQL or sends something outside the transaction. */
const PREVIEW_DENY: Record<string, string> = {
  nextval: 'would advance a sequence',
  setval: 'would change a sequence',
  pg_notify: 'sends a notification',
  table_to_xml: 'runs a query by name',
  table_to_xmlschema: 'runs a query by name',
  table_to_xml_and_xmlschema: 'runs a query by name',
  schema_to_xml: 'runs queries by name',
  schema_to_xmlschema: 'runs queries by name',
  schema_to_xml_and_xmlschema: 'runs queries by name',
  database_to_xml: 'runs queries by name',
  database_to_xmlschema: 'runs queries by name',
  database_to_xml_and_xmlschema: 'runs queries by name',
  txid_current: 'assigns a transaction id',
  pg_current_xact_id: 'assigns a transaction id',
};
const STANDARD_OPERATORS = ['=', '<>', '<', '>', '<=', '>='];
const TRIGGER_BITS = { insert: 4, delete: 8, update: 16 } as const;
const RULE_BITS: Record<string, number> = { '2': TRIGGER_BITS.update, '3': TRIGGER_BITS.insert, '4': TRIGGER_BITS.delete };

/** A function PostgreSQL may call: null when harmless, else why not. */
function judgeProc(p: fns.ProcInfo): string | null {
  const name = p.name;
  const via = p.via ? ` (${p.via})` : '';
  if (PREVIEW_DENY[name]) return `calls ${name}${via}, which ${PREVIEW_DENY[name]}`;
  const blocked = classifyFunction(null, name).blocked;
  if (blocked) return `calls ${name}${via}, which ${blocked}`;
  // C and internal functions need a superuser to create; a user aggregate is "internal" but runs its own state functions
  const builtin =
    p.schema === 'pg_catalog' || p.schema === 'information_schema' || ((p.language === 'internal' || p.language === 'c') && p.kind === 'f');
  if (!builtin)
    return `calls user-defined function ${p.schema}.${name}${via} (language ${p.language}), whose effects a rollback may not undo`;
  if (p.volatility === 'v' && !HARMLESS_VOLATILE.has(name)) return `calls volatile function ${name}${via}`;
  return null;
}

/** Parse catalog expressions into facts; a string is the reason to refuse. */
function parseAll(exprs: cat.CatalogExpression[]): Source[] | string {
  const out: Source[] = [];
  for (const e of exprs) {
    let facts: TreeFacts;
    try {
      facts = collectFacts(parseStatements(e.sql).map((s) => s.tree));
    } catch (err) {
      return `cannot analyze ${e.what}: ${(err as Error).message}`;
    }
    if (facts.nestedWrites.length) return `${e.what} contains a data-modifying statement`;
    out.push({ what: e.what, facts });
  }
  return out;
}

interface Reach {
  rel: cat.RelationInfo;
  /** TRIGGER_BITS of the row events that happen in this table */
  bits: number;
  /** columns an UPDATE here may change (null: any) */
  changed: Set<string> | null;
}

/**
 * Everything the write reaches: the target, its partitions, and tables changed by
 * ON UPDATE/DELETE actions of foreign keys (an UPDATE only cascades if it sets a referenced column).
 */
async function writeSet(client: PoolClient, target: cat.RelationInfo, node: string, tree: object) {
  const actions = writeActions(node, tree);
  const mask = new Map<number, number>();
  const tables = new Map<number, cat.RelationInfo>();
  const setDefault = new Set<number>();
  const own =
    (actions.insert ? TRIGGER_BITS.insert : 0) | (actions.update ? TRIGGER_BITS.update : 0) | (actions.delete ? TRIGGER_BITS.delete : 0);
  let frontier: Reach[] = [{ rel: target, bits: own, changed: updatedColumns(node, tree) }];
  for (let depth = 0; frontier.length; depth++) {
    if (depth === 32) return 'foreign key actions cascade too deeply to analyze';
    const reach = new Map<number, Reach>();
    for (const f of frontier) {
      for (const rel of await cat.descendants(client, [f.rel.oid])) {
        const had = mask.get(rel.oid) ?? 0;
        mask.set(rel.oid, had | f.bits);
        tables.set(rel.oid, rel);
        if ((had | f.bits) !== had || depth === 0) reach.set(rel.oid, { rel, bits: f.bits, changed: f.changed });
      }
    }
    const next: Reach[] = [];
    for (const key of await cat.referencingKeys(client, [...reach.keys()])) {
      const from = reach.get(key.parent)!;
      const keyChanges = from.changed === null || key.parentColumns.some((c) => from.changed!.has(c));
      const viaUpdate = (from.bits & TRIGGER_BITS.update) !== 0 && keyChanges && 'cnd'.includes(key.onUpdate);
      const viaDelete = (from.bits & TRIGGER_BITS.delete) !== 0 && 'cnd'.includes(key.onDelete);
      if (!viaUpdate && !viaDelete) continue;
      if ((viaUpdate && key.onUpdate === 'd') || (viaDelete && key.onDelete === 'd')) setDefault.add(key.table.oid);
      const bits =
        (viaUpdate ? TRIGGER_BITS.update : 0) | (viaDelete ? (key.onDelete === 'c' ? TRIGGER_BITS.delete : TRIGGER_BITS.update) : 0);
      next.push({ rel: key.table, bits, changed: new Set(key.childColumns) });
    }
    frontier = next;
  }
  return { tables, mask, setDefault };
}

/** The whole check; runs catalog queries on the preview's own transaction. */
export async function checkPreviewSafety(client: PoolClient, stmt: ParsedStatement): Promise<SafetyVerdict> {
  const refuse = (reason: string): SafetyVerdict => ({ reason, deterministic: false, primaryKey: [] });
  const tree = stmt.tree;
  const main = collectFacts(tree);
  if (main.nestedWrites.length) return refuse(`contains a nested ${main.nestedWrites[0]} (data-modifying WITH)`);
  if (main.currentOf) return refuse('uses WHERE CURRENT OF a cursor');
  const relation = (tree as { relation?: T.RangeVar }).relation;
  const [target] = await cat.resolveRelations(client, [{ schema: relation?.schemaname ?? null, name: String(relation?.relname ?? '') }]);
  if (!target) return refuse(`relation ${relation?.relname} does not exist`);
  if (target.relkind !== 'r' && target.relkind !== 'p')
    return refuse(`target ${target.name} is not a plain table (relkind ${target.relkind})`);

  const reached = await writeSet(client, target, stmt.node, tree);
  if (typeof reached === 'string') return refuse(reached);
  const { tables, mask, setDefault } = reached;
  const writeOids = [...tables.keys()];
  const foreign = [...tables.values()].find((t) => t.relkind === 'f');
  if (foreign) return refuse(`writes foreign table ${foreign.name}`);
  const trigger = (await cat.triggersOn(client, writeOids)).find((t) => (t.type & (mask.get(t.relid) ?? 0)) !== 0);
  if (trigger) return refuse(`table ${trigger.table} has trigger ${trigger.name}, whose effects a rollback may not undo`);
  const rule = (await cat.rulesOn(client, writeOids)).find((r) => ((RULE_BITS[r.event] ?? 0) & (mask.get(r.relid) ?? 0)) !== 0);
  if (rule) return refuse(`table ${rule.table} has rule ${rule.name}`);

  const columns = await cat.columnsOf(client, writeOids);
  const targetColumns = columns.filter((c) => c.relid === target.oid && c.generated === '');
  const defaulted = defaultedColumns(
    stmt.node,
    tree,
    targetColumns.map((c) => c.name),
  );
  const exprs: cat.CatalogExpression[] = [];
  const domainDefaultFor: number[] = [];
  for (const c of columns) {
    const used = (c.relid === target.oid && defaulted.has(c.name)) || setDefault.has(c.relid);
    if (!used || c.generated !== '') continue;
    if (c.sequence) return refuse(`would advance sequence ${c.sequence} (default of ${c.name})`);
    if (c.expr) exprs.push({ what: `default of column ${c.name}`, sql: `SELECT ${c.expr}` });
    else domainDefaultFor.push(c.typeOid);
  }
  exprs.push(...(await cat.writeExpressions(client, writeOids)));
  const domains = await cat.domainExpressions(client, [...new Set(columns.map((c) => c.typeOid))]);
  exprs.push(...domains.checks);
  for (const t of domainDefaultFor) {
    const d = domains.defaults.get(t);
    if (d) exprs.push({ what: 'domain default', sql: `SELECT ${d}` });
  }

  const sources: Source[] = [{ what: 'the statement', facts: main }];
  const parsed = parseAll(exprs);
  if (typeof parsed === 'string') return refuse(parsed);
  sources.push(...parsed);
  // relations named anywhere expand into their view bodies and row-level security policies,
  // which name more relations; policies of the written tables count too
  const seen = new Set<number>(writeOids);
  let fresh = parsed.concat(sources[0]);
  let expand = writeOids;
  for (let round = 0; ; round++) {
    if (round === 16) return refuse('views and policies nest too deeply to analyze');
    const resolved = await cat.resolveRelations(
      client,
      fresh.flatMap((s) => s.facts.relations),
    );
    for (const r of resolved) {
      if (!r || seen.has(r.oid)) continue;
      if (r.relkind === 'f') return refuse(`reads foreign table ${r.name}`);
      seen.add(r.oid);
      expand = [...expand, r.oid];
    }
    if (expand.length === 0) break;
    const more = parseAll(await cat.readExpressions(client, expand));
    if (typeof more === 'string') return refuse(more);
    sources.push(...more);
    fresh = more;
    expand = [];
  }

  let deterministic = !sources.some((s) => s.facts.timeDependent);
  // functions by name: every overload PostgreSQL could pick must be harmless
  const uses = sources.flatMap((s) => s.facts.functions.map((f) => ({ ...f, what: s.what })));
  const procs = await fns.functionsNamed(client, [...new Set(uses.map((u) => u.name))]);
  for (const use of uses) {
    if (use.name === 'nextval' || use.name === 'setval') {
      return refuse(`would advance sequence ${use.constArgs[0] ?? '(computed name)'} (${use.what})`);
    }
    const candidates = procs.filter((p) => p.name === use.name && (use.schema ? p.schema === use.schema : p.visible));
    if (candidates.length === 0) return refuse(`calls unknown function ${use.schema ? `${use.schema}.` : ''}${use.name} (in ${use.what})`);
    for (const p of candidates) {
      const why = judgeProc(p);
      if (why) return refuse(use.what === 'the statement' ? why : `${use.what} ${why}`);
      if (RUN_DEPENDENT.has(p.name)) deterministic = false;
    }
  }
  const opNames = new Set([...STANDARD_OPERATORS, ...sources.flatMap((s) => s.facts.operators.map((o) => o.name))]);
  for (const op of await fns.operatorFunctions(client, [...opNames])) {
    const named = sources.some((s) => s.facts.operators.some((o) => o.name === op.operator && o.schema === op.operatorSchema));
    if (!op.operatorVisible && !named) continue;
    const why = judgeProc(op);
    if (why) return refuse(why);
  }
  const typeNames = sources.flatMap((s) => s.facts.types).map(cat.qualifiedText);
  for (const p of await fns.castFunctions(client, [...new Set(columns.map((c) => c.typeOid))], [...new Set(typeNames)])) {
    const why = judgeProc(p);
    if (why) return refuse(why);
  }
  return { deterministic, target, primaryKey: await cat.primaryKey(client, target.oid) };
}
