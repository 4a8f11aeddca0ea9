// Turn approved SQL into the steps execution runs inside its own transaction. A request that is
// one explicit transaction (BEGIN; …; COMMIT) loses its BEGIN/COMMIT to ours; transaction control
// anywhere else would commit or discard work behind the exactly-once marker, so it is refused.
import {
  beforeImageSelect,
  deparseVerified,
  ensureParser,
  statementsOrReason,
  PREVIEWABLE,
  runnable,
  RewriteError,
  type ParsedStatement,
} from './rewrite.js';
import { nodeOf, treeOf } from '../sql/tree.js';
import { undoTarget, type UndoTarget } from './undo-capture.js';

export interface ExecStep {
  text: string;
  /** INSERT/UPDATE/DELETE/MERGE: rows and counts feed the drift check */
  write: boolean;
  /** we added RETURNING: the agent asked for no rows */
  addedReturning: boolean;
}

export interface ExecPlan {
  steps: ExecStep[];
  /** a single UPDATE: its before-image, locked FOR UPDATE, to compare with the preview's */
  beforeImage?: { sql: string; params: unknown[] };
  /** SET TRANSACTION … carrying the options of the request's own BEGIN */
  setTransaction?: string;
  /** a single UPDATE or INSERT: what to keep so that it can be reverted; why not otherwise */
  undo: UndoTarget | string;
}

const INSIDE_OK = new Set(['TRANS_STMT_SAVEPOINT', 'TRANS_STMT_RELEASE', 'TRANS_STMT_ROLLBACK_TO']);
const txKind = (s: ParsedStatement) => treeOf(s, 'TransactionStmt')?.kind;
const isTx = (s: ParsedStatement, ...kinds: string[]) => kinds.includes(String(txKind(s)));

/** The steps, or a string saying why this request cannot be executed under the marker. */
export async function planExecution(sql: string, params: unknown[]): Promise<ExecPlan | string> {
  await ensureParser();
  const parsed = statementsOrReason(sql);
  if (typeof parsed === 'string') return parsed;
  let stmts = parsed;
  if (stmts.length === 0) return 'empty statement';
  let setTransaction: string | undefined;
  if (stmts.length > 1 && isTx(stmts[0], 'TRANS_STMT_BEGIN', 'TRANS_STMT_START')) {
    const options = treeOf(stmts[0], 'TransactionStmt')?.options ?? [];
    const readOnly = (o: (typeof options)[number]) => {
      const d = nodeOf(o, 'DefElem');
      return d?.defname === 'transaction_read_only' && nodeOf(d.arg, 'A_Const')?.ival?.ival === 1;
    };
    if (options.some(readOnly)) {
      return 'a READ ONLY transaction cannot carry an approved write';
    }
    if (options.length) {
      try {
        setTransaction = deparseVerified('VariableSetStmt', { kind: 'VAR_SET_MULTI', name: 'TRANSACTION', args: options });
      } catch (err) {
        return (err as Error).message;
      }
    }
    stmts = stmts.slice(1);
    const last = stmts[stmts.length - 1];
    if (!last || !isTx(last, 'TRANS_STMT_COMMIT') || treeOf(last, 'TransactionStmt')?.chain)
      return 'BEGIN without a matching COMMIT at the end of the request';
    stmts = stmts.slice(0, -1);
  }
  const control = stmts.find((s) => s.node === 'TransactionStmt' && !INSIDE_OK.has(String(txKind(s))));
  if (control) return `transaction control (${control.text}) inside an approved request is not supported`;
  if (stmts.length > 1 && params.length > 0) return 'parameters are only supported with a single statement';
  const steps: ExecStep[] = [];
  for (const s of stmts) {
    if (!PREVIEWABLE.has(s.node)) {
      steps.push({ text: s.text, write: false, addedReturning: false });
      continue;
    }
    try {
      // a single statement runs exactly as previewed (same RETURNING rewrite, same digest)
      const r = runnable(s, stmts.length === 1 && !setTransaction ? sql : s.text);
      steps.push({ text: r.text, write: true, addedReturning: r.addedReturning });
    } catch (err) {
      if (err instanceof RewriteError) return err.message;
      throw err;
    }
  }
  const update = stmts.length === 1 ? treeOf(stmts[0], 'UpdateStmt') : undefined;
  let beforeImage: ExecPlan['beforeImage'];
  try {
    if (update) beforeImage = beforeImageSelect(update, params, { lock: true });
  } catch (err) {
    if (err instanceof RewriteError) return err.message;
    throw err;
  }
  return { steps, setTransaction, undo: undoTarget(stmts), ...(beforeImage ? { beforeImage } : {}) };
}
