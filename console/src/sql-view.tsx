// The exact statement, coloured, with its bound parameters; or, for an API call, the exact request.
// Everything is rendered as text nodes (Preact escapes it): markup in SQL or data stays visible text.
import { cellText } from './format.js';
import { sqlTokens } from './sql-tokens.js';
import type { ApiRequestView } from './types.js';

export function SqlView(props: { sql: string; params: unknown[] | null }) {
  const tokens = sqlTokens(props.sql);
  return (
    <section aria-labelledby="sql-title">
      <h2 id="sql-title">Statement</h2>
      <pre class="sql" tabIndex={0} aria-label="SQL statement">
        <code>
          {tokens.map((t, i) =>
            t.kind === 'space' || t.kind === 'op' ? (
              t.text
            ) : (
              <span key={i} class={`tok-${t.kind}`}>
                {t.text}
              </span>
            ),
          )}
        </code>
      </pre>
      {props.params && props.params.length > 0 && (
        <table class="params">
          <caption>Parameters</caption>
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">Value</th>
            </tr>
          </thead>
          <tbody>
            {props.params.map((p, i) => (
              <tr key={i}>
                <td>${i + 1}</td>
                <td>
                  <code>{cellText(p)}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** The exact HTTP request an API-call approval would send (the API proxy records it). */
export function RequestView(props: { request: ApiRequestView }) {
  const r = props.request;
  const body = r.body === undefined ? null : typeof r.body === 'string' ? r.body : JSON.stringify(r.body, null, 2);
  return (
    <section aria-labelledby="request-title">
      <h2 id="request-title">Request</h2>
      <pre class="sql request" tabIndex={0} aria-label="HTTP request">
        <code>
          <span class="tok-keyword">{r.method}</span> {r.url}
          {Object.entries(r.headers ?? {}).map(([k, v]) => `\n${k}: ${v}`)}
          {body !== null && `\n\n${body}`}
        </code>
      </pre>
    </section>
  );
}
