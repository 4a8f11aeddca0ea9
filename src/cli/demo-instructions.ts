// What `airlock demo` prints: every way to reach the running demo, as commands that work when pasted.
export interface DemoAddresses {
  psql: string;
  http: string;
  token: string;
  reviewerPassword: string;
  reviewerToken: string;
  store: string;
  /** the config file the demo wrote for other commands (stdio MCP, approvals) */
  configFile: string;
  /** how to run this Airlock from any folder */
  airlock: { command: string; args: string[] };
  upstream: string;
  notes: string[];
}

const shellQuote = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

export function demoInstructions(a: DemoAddresses): string {
  const cli = [a.airlock.command, ...a.airlock.args].map(shellQuote).join(' ');
  const withConfig = `${cli} -c ${shellQuote(a.configFile)}`;
  const mcpHttp = { mcpServers: { airlock: { url: `${a.http}/mcp`, headers: { Authorization: `Bearer ${a.token}` } } } };
  const mcpStdio = {
    mcpServers: {
      airlock: {
        command: a.airlock.command,
        args: [...a.airlock.args, '-c', a.configFile, 'mcp', '--stdio'],
        env: { AIRLOCK_AGENT_TOKEN: a.token },
      },
    },
  };
  return [
    `Airlock demo is running (upstream: ${a.upstream}; store: ${a.store}).`,
    ...a.notes.map((n) => `  note: ${n}`),
    '',
    'Connect as the demo agent with any PostgreSQL client:',
    `  psql "${a.psql}"`,
    '',
    'Try:',
    '  SELECT * FROM customers;                               -- auto: runs at once',
    "  UPDATE customers SET plan = 'pro' WHERE id = 3;        -- ask: held for review with a preview",
    '  DROP TABLE invoices;                                   -- block: refused with SQLSTATE 42501',
    '',
    `Review in the web console: ${a.http}/`,
    `  sign in as demo-reviewer, password ${a.reviewerPassword}`,
    `  HTTP API reviewer token: ${a.reviewerToken}`,
    `  or from a terminal: ${withConfig} approvals list`,
    `                      ${withConfig} approvals approve <id> --as you`,
    '',
    'MCP over Streamable HTTP, config for your agent:',
    `  ${JSON.stringify(mcpHttp)}`,
    'MCP over stdio (the agent host starts Airlock itself):',
    `  ${JSON.stringify(mcpStdio)}`,
    `  try it: AIRLOCK_AGENT_TOKEN=${a.token} npx -y @modelcontextprotocol/inspector --cli ${withConfig} mcp --stdio --method tools/list`,
    '',
    'Press Ctrl-C to stop.',
    '',
  ].join('\n');
}
