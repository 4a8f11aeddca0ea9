// Map a top-level parse node to a statement kind (unknown node types fall to 'other', at least ask),
// and name the object an ALTER sub-command removes (DROP wherever it appears is blocked).
import type { StatementKind } from '../domain/decision.js';

type Obj = Record<string, unknown>;

const KIND_BY_NODE: Record<string, StatementKind> = {
  SelectStmt: 'read',
  InsertStmt: 'write',
  UpdateStmt: 'write',
  MergeStmt: 'write',
  CreateTableAsStmt: 'write',
  DeleteStmt: 'delete',
  TruncateStmt: 'delete',
  ExplainStmt: 'explain',
  VariableShowStmt: 'show',
  VariableSetStmt: 'set',
  ConstraintsSetStmt: 'set',
  TransactionStmt: 'transaction',
  CopyStmt: 'copy',
  VacuumStmt: 'maintenance',
  ReindexStmt: 'maintenance',
  ClusterStmt: 'maintenance',
  RefreshMatViewStmt: 'maintenance',
  CheckPointStmt: 'maintenance',
  LockStmt: 'lock',
  CallStmt: 'call',
  NotifyStmt: 'notify',
  ListenStmt: 'notify',
  UnlistenStmt: 'notify',
  PrepareStmt: 'session',
  ExecuteStmt: 'session',
  DeallocateStmt: 'session',
  DeclareCursorStmt: 'session',
  FetchStmt: 'session',
  ClosePortalStmt: 'session',
  DiscardStmt: 'session',
  GrantStmt: 'privilege',
  GrantRoleStmt: 'privilege',
  CreateRoleStmt: 'privilege',
  AlterRoleStmt: 'privilege',
  AlterRoleSetStmt: 'privilege',
  AlterDefaultPrivilegesStmt: 'privilege',
  AlterOwnerStmt: 'privilege',
  ReassignOwnedStmt: 'privilege',
  CreatePolicyStmt: 'privilege',
  AlterPolicyStmt: 'privilege',
  CreateUserMappingStmt: 'privilege',
  AlterUserMappingStmt: 'privilege',
  AlterSystemStmt: 'privilege',
  CreatedbStmt: 'privilege',
  AlterDatabaseStmt: 'privilege',
  AlterDatabaseSetStmt: 'privilege',
  AlterDatabaseRefreshCollStmt: 'privilege',
  CreateTableSpaceStmt: 'privilege',
  AlterTableSpaceOptionsStmt: 'privilege',
  CreateSubscriptionStmt: 'privilege',
  AlterSubscriptionStmt: 'privilege',
  CreatePublicationStmt: 'privilege',
  AlterPublicationStmt: 'privilege',
  SecLabelStmt: 'privilege',
  CreateForeignServerStmt: 'privilege',
  AlterForeignServerStmt: 'privilege',
  CreateFdwStmt: 'privilege',
  AlterFdwStmt: 'privilege',
  ImportForeignSchemaStmt: 'privilege',
  DoStmt: 'code',
  CreateFunctionStmt: 'code',
  AlterFunctionStmt: 'code',
  CreateTrigStmt: 'code',
  RuleStmt: 'code',
  CreateExtensionStmt: 'code',
  AlterExtensionStmt: 'code',
  AlterExtensionContentsStmt: 'code',
  LoadStmt: 'code',
  CreateEventTrigStmt: 'code',
  AlterEventTrigStmt: 'code',
  CreatePLangStmt: 'code',
  CreateTransformStmt: 'code',
  CreateCastStmt: 'code',
  CreateConversionStmt: 'code',
  CreateOpClassStmt: 'code',
  CreateOpFamilyStmt: 'code',
  AlterOpFamilyStmt: 'code',
  AlterOperatorStmt: 'code',
  CreateAmStmt: 'code',
  CreateStmt: 'ddl',
  AlterTableStmt: 'ddl',
  AlterTableMoveAllStmt: 'ddl',
  IndexStmt: 'ddl',
  ViewStmt: 'ddl',
  CreateSeqStmt: 'ddl',
  AlterSeqStmt: 'ddl',
  CommentStmt: 'ddl',
  RenameStmt: 'ddl',
  CreateSchemaStmt: 'ddl',
  CompositeTypeStmt: 'ddl',
  CreateEnumStmt: 'ddl',
  AlterEnumStmt: 'ddl',
  CreateDomainStmt: 'ddl',
  AlterDomainStmt: 'ddl',
  CreateRangeStmt: 'ddl',
  CreateStatsStmt: 'ddl',
  AlterStatsStmt: 'ddl',
  AlterObjectSchemaStmt: 'ddl',
  AlterObjectDependsStmt: 'ddl',
  AlterCollationStmt: 'ddl',
  AlterTSDictionaryStmt: 'ddl',
  AlterTSConfigurationStmt: 'ddl',
  AlterTypeStmt: 'ddl',
  CreateForeignTableStmt: 'ddl',
  DefineStmt: 'ddl',
};

/** DefineStmt kinds that bind functions to operators or aggregates: code, not plain DDL. */
const CODE_DEFINE_KINDS = new Set(['OBJECT_OPERATOR', 'OBJECT_AGGREGATE']);

export function statementKind(node: string, tree: Record<string, unknown>): StatementKind {
  if (node.startsWith('Drop')) return 'drop';
  if (node === 'DefineStmt' && CODE_DEFINE_KINDS.has(String(tree.kind))) return 'code';
  if (node === 'SelectStmt' && tree.intoClause) return 'write';
  return KIND_BY_NODE[node] ?? 'other';
}

/**
 * ALTER TABLE (and ALTER TYPE/VIEW/MATERIALIZED VIEW/FOREIGN TABLE/INDEX, which share its node)
 * sub-commands that remove an object: a column or type attribute, a constraint with its index, a
 * partition or inheritance child (its rows leave the parent), an identity column's sequence.
 * DROP DEFAULT, DROP NOT NULL, DROP EXPRESSION, SET WITHOUT CLUSTER, NOT OF and OPTIONS (DROP …)
 * remove a property of an object that stays, and are DDL like any other (ask).
 */
const REMOVING_ALTER_TABLE: Record<string, string> = {
  AT_DropColumn: 'DROP COLUMN',
  AT_DropConstraint: 'DROP CONSTRAINT',
  AT_DetachPartition: 'DETACH PARTITION',
  AT_DetachPartitionFinalize: 'DETACH PARTITION … FINALIZE',
  AT_DropInherit: 'NO INHERIT',
  AT_DropIdentity: 'DROP IDENTITY',
};

const ALTER_OBJECT: Record<string, string> = {
  OBJECT_TYPE: 'ALTER TYPE',
  OBJECT_VIEW: 'ALTER VIEW',
  OBJECT_MATVIEW: 'ALTER MATERIALIZED VIEW',
  OBJECT_FOREIGN_TABLE: 'ALTER FOREIGN TABLE',
  OBJECT_INDEX: 'ALTER INDEX',
  OBJECT_SEQUENCE: 'ALTER SEQUENCE',
};

/**
 * The sub-command of an ALTER statement that removes an object (`ALTER TABLE … DROP CONSTRAINT`),
 * or null. Statements whose every form is already blocked (ALTER EXTENSION … DROP, ALTER
 * PUBLICATION … DROP TABLE, ALTER OPERATOR FAMILY … DROP, ALTER SUBSCRIPTION … DROP PUBLICATION)
 * keep their own rule.
 */
export function removedObject(node: string, tree: Obj): string | null {
  if (node === 'AlterTableStmt') {
    const head = ALTER_OBJECT[String(tree.objtype)] ?? 'ALTER TABLE';
    for (const c of (tree.cmds as Obj[] | undefined) ?? []) {
      const sub = String(((c.AlterTableCmd as Obj | undefined) ?? {}).subtype);
      const what = REMOVING_ALTER_TABLE[sub];
      if (what) return `${head} … ${tree.objtype === 'OBJECT_TYPE' && sub === 'AT_DropColumn' ? 'DROP ATTRIBUTE' : what}`;
    }
    return null;
  }
  // subtype 'X' is DROP CONSTRAINT; 'T' without a default (DROP DEFAULT) and 'N' (DROP NOT NULL) are properties
  if (node === 'AlterDomainStmt' && tree.subtype === 'X') return 'ALTER DOMAIN … DROP CONSTRAINT';
  if (node === 'AlterTSConfigurationStmt' && tree.kind === 'ALTER_TSCONFIG_DROP_MAPPING') {
    return 'ALTER TEXT SEARCH CONFIGURATION … DROP MAPPING';
  }
  return null;
}
