// The reviewer web console: one static page that talks to /api with the reviewer's token.
// Rows from the database are rendered as text (never HTML), so data cannot inject markup.

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Airlock approvals</title>
<meta name="viewport" content="width=device-width,initial-scale=1">
<style>
body{font:14px system-ui,sans-serif;margin:0;background:#f6f7f9;color:#1b1f24}
header{background:#1b1f24;color:#fff;padding:12px 20px;display:flex;gap:16px;align-items:center}
header h1{font-size:16px;margin:0}main{padding:20px;max-width:1100px;margin:auto}
.card{background:#fff;border:1px solid #d8dde3;border-radius:8px;padding:14px;margin-bottom:14px}
.sql{font-family:ui-monospace,monospace;white-space:pre-wrap;background:#f0f2f5;padding:8px;border-radius:4px}
table{border-collapse:collapse;margin-top:8px;font-size:12px}td,th{border:1px solid #d8dde3;padding:3px 6px;text-align:left}
.pending{color:#9a6700}.approved,.executed{color:#1a7f37}.denied,.failed,.drifted,.expired{color:#cf222e}
button{margin-right:8px;padding:5px 12px;border-radius:5px;border:1px solid #8c959f;cursor:pointer}
button.ok{background:#1a7f37;color:#fff;border-color:#1a7f37}button.no{background:#cf222e;color:#fff;border-color:#cf222e}
#err{color:#cf222e}
</style></head><body>
<header><h1>Airlock · approvals</h1><select id="filter"><option value="pending">pending</option><option value="">all</option></select>
<input id="token" type="password" placeholder="reviewer token" size="30"><button id="save">use token</button></header>
<main><div id="err"></div><div id="list">Loading…</div></main>
<script>
const $ = (s) => document.querySelector(s);
const el = (tag, props = {}, ...kids) => { const e = document.createElement(tag); Object.assign(e, props); for (const k of kids) e.append(k); return e; };
$('#token').value = localStorage.getItem('airlockReviewerToken') || '';
$('#save').onclick = () => { localStorage.setItem('airlockReviewerToken', $('#token').value.trim()); load(); };
$('#filter').onchange = () => load();
async function api(path, opts = {}) {
  const r = await fetch('/api' + path, { ...opts, headers: { 'content-type': 'application/json', authorization: 'Bearer ' + (localStorage.getItem('airlockReviewerToken') || '') } });
  const body = await r.json();
  if (!r.ok) throw new Error(body.error ? body.error.message : r.statusText);
  return body;
}
function rowsTable(rows) {
  if (!rows || !rows.length) return el('div');
  const cols = Object.keys(rows[0]);
  const t = el('table');
  t.append(el('tr', {}, ...cols.map((c) => el('th', { textContent: c }))));
  for (const r of rows) t.append(el('tr', {}, ...cols.map((c) => el('td', { textContent: r[c] === null ? 'NULL' : typeof r[c] === 'object' ? JSON.stringify(r[c]) : String(r[c]) }))));
  return t;
}
function card(a) {
  const p = a.preview || {};
  const c = el('div', { className: 'card', id: 'a-' + a.id });
  c.append(el('div', {}, el('b', { textContent: a.agentName + ' → ' + a.database + '  ' }), el('span', { className: a.status, textContent: a.status }), el('span', { textContent: '  ' + a.id + '  ' + new Date(a.createdAt).toLocaleString() })));
  c.append(el('div', { className: 'sql', textContent: a.sql }));
  c.append(el('div', { textContent: p.available ? 'Affected rows: ' + p.affectedRows + (p.truncated ? ' (showing first ' + (p.rows || []).length + ')' : '') : (p.reason || 'preview unavailable') }));
  if (p.before && p.before.length) { c.append(el('div', { textContent: 'Before:' }), rowsTable(p.before)); }
  if (p.rows && p.rows.length) { c.append(el('div', { textContent: p.before ? 'After:' : 'Rows:' }), rowsTable(p.rows)); }
  c.append(el('div', { textContent: 'Approvals: ' + a.approvals.length + ' of ' + a.requiredApprovals + (a.comment ? ' · ' + a.comment : '') + (a.error ? ' · ' + a.error : '') }));
  if (a.status === 'pending') {
    const comment = el('input', { placeholder: 'comment (optional)', size: 40 });
    const act = (what) => async () => { try { await api('/approvals/' + a.id + '/' + what, { method: 'POST', body: JSON.stringify(comment.value ? { comment: comment.value } : {}) }); load(); } catch (e) { $('#err').textContent = e.message; } };
    c.append(el('div', {}, el('button', { className: 'ok', textContent: 'Approve', onclick: act('approve') }), el('button', { className: 'no', textContent: 'Deny', onclick: act('deny') }), comment));
  }
  return c;
}
async function load() {
  $('#err').textContent = '';
  try {
    const status = $('#filter').value;
    const { approvals } = await api('/approvals' + (status ? '?status=' + status : ''));
    const list = $('#list'); list.replaceChildren(...(approvals.length ? approvals.map(card) : [el('div', { textContent: 'Nothing waiting for review.' })]));
  } catch (e) { $('#list').replaceChildren(); $('#err').textContent = e.message; }
}
load(); setInterval(load, 5000);
</script></body></html>`;

export const consolePage = (): string => PAGE;
