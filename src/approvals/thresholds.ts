// Affected-row thresholds per table: auto-approve small changes, require two approvers for big ones.
import type { ApprovalsConfig } from '../config/schema.js';
import type { PreviewSummary } from '../domain/approval.js';

export interface ThresholdVerdict {
  autoApprove: boolean;
  dual: boolean;
  reason?: string;
}

const bare = (t: string) => t.toLowerCase().replace(/^public\./, '');

/** Thresholds apply only when the preview is exact and every written table is covered. */
export function thresholdFor(thresholds: ApprovalsConfig['thresholds'], tables: string[], preview: PreviewSummary): ThresholdVerdict {
  if (!preview.available || preview.affectedRows === undefined || tables.length === 0) return { autoApprove: false, dual: false };
  const rows = preview.affectedRows;
  const rules = tables.map((t) => thresholds.find((th) => bare(th.table) === bare(t)));
  const dual = rules.some((r) => r?.dualApprovalAboveRows !== undefined && rows > r.dualApprovalAboveRows);
  const autoApprove = !dual && rules.every((r) => r?.autoApproveMaxRows !== undefined && rows <= r.autoApproveMaxRows);
  return {
    autoApprove,
    dual,
    reason: autoApprove
      ? `${rows} row(s) within the auto-approve threshold of ${tables.join(', ')}`
      : dual
        ? `${rows} rows: two approvers required`
        : undefined,
  };
}
