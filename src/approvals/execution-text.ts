// What the approval spine writes about an execution: why an approved statement did not run, and the
// part of a preview that goes into the audit trail.
import type { PreviewSummary } from '../domain/approval.js';

/** Why an approved statement did not run: what changed since the reviewer looked. */
export function driftText(o: {
  what: 'before-image' | 'result';
  actual: { affectedRows: number };
  expected: { affectedRows: number };
}): string {
  const counts = `${o.expected.affectedRows} row(s) in the preview, ${o.actual.affectedRows} now`;
  return o.what === 'before-image'
    ? `the rows this statement changes were modified since the preview (${counts}); nothing was written, ask for a new approval`
    : `the statement's result differs from the preview (${counts}); nothing was written, ask for a new approval`;
}

export function previewForAudit(p: PreviewSummary) {
  return { available: p.available, reason: p.reason, affectedRows: p.affectedRows, digest: p.digest, beforeDigest: p.beforeDigest };
}
