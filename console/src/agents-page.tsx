// Agents: create one (the token shown once, with a ready connection string and MCP config) and
// revoke (admins only); then the policy in force for an agent, integrations and secret names.
import { useEffect, useState } from 'preact/hooks';
import { api, errorText, useSignedIn } from './api.js';
import { dateTime } from './format.js';
import type { AgentRecord, ConnectHelp } from './types.js';
import { PolicyPanel } from './policy-panel.js';

interface Created {
  agent: AgentRecord;
  token: string;
  connect: ConnectHelp;
}

function CreatedAgent(props: { created: Created; onDone: () => void }) {
  const { agent, token, connect } = props.created;
  const copy = (text: string) => void navigator.clipboard?.writeText(text).catch(() => undefined);
  const mcp = JSON.stringify(connect.mcp, null, 2);
  return (
    <section class="card created" aria-labelledby="created-title">
      <h2 id="created-title">Agent {agent.name} created</h2>
      <p class="warning">The token is shown only this once. Store it now: Airlock keeps only its hash.</p>
      <label for="created-token">Token</label>
      <input id="created-token" readOnly value={token} class="mono" onFocus={(e) => e.currentTarget.select()} />
      {connect.psql && (
        <>
          <h3>Connect with psql</h3>
          <pre class="sql" tabIndex={0}>
            {connect.psql}
          </pre>
          <button type="button" onClick={() => copy(connect.psql!)}>
            Copy psql command
          </button>
        </>
      )}
      <h3>MCP client config</h3>
      <pre class="sql" tabIndex={0}>
        {mcp}
      </pre>
      <button type="button" onClick={() => copy(mcp)}>
        Copy MCP config
      </button>{' '}
      <button type="button" onClick={props.onDone}>
        I stored the token
      </button>
    </section>
  );
}

export function AgentsPage() {
  const { session } = useSignedIn();
  const [agents, setAgents] = useState<AgentRecord[] | null>(null);
  const [name, setName] = useState('');
  const [created, setCreated] = useState<Created | null>(null);
  const [confirming, setConfirming] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = () =>
    api<{ agents: AgentRecord[] }>('/agents')
      .then((r) => setAgents(r.agents))
      .catch((err) => setError(errorText(err)));
  useEffect(() => {
    document.title = 'Agents & policy · Airlock';
    void load();
  }, []);

  const create = async (e: Event) => {
    e.preventDefault();
    setError(null);
    try {
      setCreated(await api<Created>('/agents', { method: 'POST', body: { name: name.trim() } }));
      setName('');
      void load();
    } catch (err) {
      setError(errorText(err));
    }
  };
  const revoke = async (agent: string) => {
    setConfirming(null);
    try {
      await api(`/agents/${encodeURIComponent(agent)}/revoke`, { method: 'POST' });
      void load();
    } catch (err) {
      setError(errorText(err));
    }
  };

  return (
    <main id="main">
      <h1>Agents &amp; policy</h1>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {created && <CreatedAgent created={created} onDone={() => setCreated(null)} />}
      {session.admin ? (
        <form class="card inline" onSubmit={create}>
          <label for="new-agent">Agent name</label>
          <input id="new-agent" required maxLength={63} value={name} onInput={(e) => setName(e.currentTarget.value)} />
          <button type="submit" class="primary">
            Create agent
          </button>
        </form>
      ) : (
        <p class="muted">Only admins create and revoke agents.</p>
      )}
      <div class="table-scroll" tabIndex={0} role="region" aria-label="Agents">
        <table class="rows">
          <caption>Agents</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Created</th>
              <th scope="col">State</th>
              {session.admin && <th scope="col">Action</th>}
            </tr>
          </thead>
          <tbody>
            {(agents ?? []).map((a) => (
              <tr key={a.id}>
                <td>{a.name}</td>
                <td>{dateTime(a.createdAt)}</td>
                <td>{a.revokedAt === null ? 'active' : `revoked ${dateTime(a.revokedAt)}`}</td>
                {session.admin && (
                  <td>
                    {a.revokedAt === null &&
                      (confirming === a.name ? (
                        <button type="button" class="deny" onClick={() => revoke(a.name)}>
                          Confirm revoking {a.name}
                        </button>
                      ) : (
                        <button type="button" onClick={() => setConfirming(a.name)}>
                          Revoke {a.name}
                        </button>
                      ))}
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <PolicyPanel agents={agents ?? []} />
    </main>
  );
}
