// The policy in force for an agent: the built-in tiers, the configured rules that apply to it (in
// evaluation order), the approval settings; then API integrations and vault secret names.
import { useEffect, useState } from 'preact/hooks';
import { api, errorText } from './api.js';
import type { AgentRecord, EffectivePolicy, IntegrationsView } from './types.js';

function describe(rule: EffectivePolicy['rules'][number]): string {
  const parts: string[] = [];
  if (rule.kinds) parts.push(`kinds ${rule.kinds.join(', ')}`);
  if (rule.tables) parts.push(`tables ${rule.tables.join(', ')}`);
  if (rule.functions) parts.push(`functions ${rule.functions.join(', ')}`);
  if (rule.databases) parts.push(`databases ${rule.databases.join(', ')}`);
  if (rule.window)
    parts.push(
      `${rule.outside ? 'outside' : 'during'} ${rule.window.days.join(',')} ${rule.window.from}-${rule.window.to} ${rule.window.timezone}`,
    );
  return parts.join('; ') || 'every statement';
}

export function PolicyPanel(props: { agents: AgentRecord[] }) {
  const [agent, setAgent] = useState('');
  const [policy, setPolicy] = useState<EffectivePolicy | null>(null);
  const [integrations, setIntegrations] = useState<IntegrationsView | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    api<{ policy: EffectivePolicy }>(`/policy${agent ? `?agent=${encodeURIComponent(agent)}` : ''}`)
      .then((r) => setPolicy(r.policy))
      .catch((err) => setError(errorText(err)));
  }, [agent]);
  useEffect(() => {
    api<IntegrationsView>('/integrations')
      .then(setIntegrations)
      .catch((err) => setError(errorText(err)));
  }, []);

  return (
    <>
      <section aria-labelledby="policy-title">
        <h2 id="policy-title">Effective rules</h2>
        <label for="policy-agent">For agent</label>
        <select id="policy-agent" value={agent} onChange={(e) => setAgent(e.currentTarget.value)}>
          <option value="">(rules for every agent)</option>
          {props.agents.map((a) => (
            <option key={a.id} value={a.name}>
              {a.name}
            </option>
          ))}
        </select>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        {policy && (
          <>
            <h3>Built-in tiers</h3>
            <ul class="tiers">
              {policy.defaults.map((d) => (
                <li key={d.tier}>
                  <span class={`badge tier tier-${d.tier}`}>{d.tier}</span> {d.what}
                </li>
              ))}
            </ul>
            <h3>Configured rules ({policy.rules.length})</h3>
            {policy.rules.length === 0 ? (
              <p class="muted">No rules in airlock.yaml apply: the built-in tiers decide.</p>
            ) : (
              <ol class="rules">
                {policy.rules.map((r) => (
                  <li key={r.name}>
                    <strong>{r.name}</strong> <span class={`badge tier tier-${r.tier}`}>{r.tier}</span> {describe(r)}
                    {r.forAllAgents ? ' · all agents' : ` · agents ${r.agents?.join(', ')}`}
                    {r.reason ? ` · ${r.reason}` : ''}
                  </li>
                ))}
              </ol>
            )}
            <p class="muted">
              Approvals expire after {policy.approvals.expiryMinutes} min; {policy.approvals.requiredApprovals} approval(s) needed
              {policy.approvals.allowSelfApproval ? '' : '; no self-approval'}
              {policy.approvals.thresholds.length ? `; ${policy.approvals.thresholds.length} row threshold(s)` : ''}.
            </p>
          </>
        )}
      </section>
      <section aria-labelledby="integrations-title">
        <h2 id="integrations-title">Integrations and secrets</h2>
        <h3>API integrations</h3>
        {integrations?.integrations.length ? (
          <ul>
            {integrations.integrations.map((i) => (
              <li key={i.name}>
                {i.name}
                {i.baseUrl ? ` · ${i.baseUrl}` : ''}
              </li>
            ))}
          </ul>
        ) : (
          <p class="muted">None configured.</p>
        )}
        <h3>Vault secrets (names only)</h3>
        {integrations?.secrets.length ? (
          <ul>
            {integrations.secrets.map((s) => (
              <li key={s} class="mono">
                {s}
              </li>
            ))}
          </ul>
        ) : (
          <p class="muted">No secrets stored.</p>
        )}
      </section>
    </>
  );
}
