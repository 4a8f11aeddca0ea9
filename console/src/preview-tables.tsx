// The preview as tables: new rows for an INSERT; before and after for an UPDATE, changed cells
// marked (the server's changedColumns, the same the CLI marks with *); the exact count and
// "showing N of M". Wide tables scroll inside their box, so the page stays readable at 375 px.
import type { ApprovalView, Row } from './types.js';
import { cellText, rows as rowsText } from './format.js';

function columnsOf(rows: Row[]): string[] {
  const cols: string[] = [];
  for (const r of rows) for (const k of Object.keys(r)) if (!cols.includes(k)) cols.push(k);
  return cols;
}

function Table(props: { caption: string; rows: Row[]; changed?: string[][]; before?: Row[] }) {
  const cols = columnsOf(props.rows);
  return (
    <div class="table-scroll" tabIndex={0} role="region" aria-label={props.caption}>
      <table class="rows">
        <caption>{props.caption}</caption>
        <thead>
          <tr>
            {cols.map((c) => (
              <th key={c} scope="col">
                {c}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {props.rows.map((r, i) => (
            <tr key={i}>
              {cols.map((c) => {
                const changed = props.changed?.[i]?.includes(c);
                return changed ? (
                  <td key={c} class="changed" title={`was ${cellText(props.before?.[i]?.[c])}`}>
                    <mark>{cellText(r[c])}</mark>
                    <span class="visually-hidden"> (changed from {cellText(props.before?.[i]?.[c])})</span>
                  </td>
                ) : (
                  <td key={c} class={r[c] === null || r[c] === undefined ? 'null' : undefined}>
                    {cellText(r[c])}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function PreviewTables(props: { approval: ApprovalView }) {
  const a = props.approval;
  const p = a.preview;
  if (!p || !p.available) {
    return (
      <section aria-labelledby="preview-title">
        <h2 id="preview-title">Preview</h2>
        <p class="warning">{p?.reason ?? 'No preview was taken: what this would change is unknown.'}</p>
      </section>
    );
  }
  const shown = p.rows?.length ?? 0;
  const total = p.affectedRows ?? shown;
  const isUpdate = (p.before?.length ?? 0) > 0;
  const inserts = (a.decision?.statements ?? []).every((s) => s.node === 'InsertStmt');
  const changedCells = a.facts.changed.reduce((n, cols) => n + cols.length, 0);
  return (
    <section aria-labelledby="preview-title">
      <h2 id="preview-title">Preview</h2>
      <p class="effect">
        <strong>{rowsText(total)}</strong> {isUpdate ? 'would change' : total ? 'would be written' : 'affected'}
        {shown < total ? ` · showing ${shown} of ${total}` : total > 0 ? ` · showing all ${total}` : ''}
        {isUpdate ? ` · ${changedCells} changed ${changedCells === 1 ? 'cell' : 'cells'} marked` : ''}
      </p>
      {isUpdate && <Table caption="Before" rows={p.before!} />}
      {shown > 0 && (
        <Table
          caption={isUpdate ? 'After' : inserts ? 'New rows' : 'Rows written'}
          rows={p.rows!}
          changed={a.facts.changed}
          before={p.before}
        />
      )}
      {!shown && total === 0 && <p class="muted">The dry run changed no rows.</p>}
    </section>
  );
}
