// A lean MCP client for the bench: the Streamable HTTP protocol (initialize, then
// notifications/initialized, then tools/call with Mcp-Session-Id and MCP-Protocol-Version) spoken
// over node:http with one keep-alive socket, and nothing else. It separates what the server adds per
// call from what the SDK client adds (fetch/undici, response validation) on the same real HTTP.
import http from 'node:http';

const PROTOCOL_VERSION = '2025-06-18';

interface Answer {
  status: number;
  sessionId?: string;
  body: string;
}

export class LeanMcpClient {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  private readonly target: URL;
  private sessionId?: string;
  private nextId = 1;

  constructor(
    url: string,
    private readonly token: string,
  ) {
    this.target = new URL(url);
  }

  private post(message: unknown): Promise<Answer> {
    const data = JSON.stringify(message);
    const headers: Record<string, string | number> = {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      authorization: `Bearer ${this.token}`,
      'content-length': Buffer.byteLength(data),
    };
    if (this.sessionId) Object.assign(headers, { 'mcp-session-id': this.sessionId, 'mcp-protocol-version': PROTOCOL_VERSION });
    return new Promise((resolve, reject) => {
      const req = http.request(
        { host: this.target.hostname, port: this.target.port, path: this.target.pathname, method: 'POST', agent: this.agent, headers },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (body += c));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, sessionId: res.headers['mcp-session-id'] as string | undefined, body }),
          );
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(data);
    });
  }

  /** initialize + notifications/initialized; keeps the session id the server assigns. */
  async connect(): Promise<void> {
    const init = await this.post({
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: { protocolVersion: PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'bench-lean-http', version: '1' } },
    });
    if (init.status !== 200 || !init.sessionId) throw new Error(`initialize failed: ${init.status} ${init.body}`);
    this.sessionId = init.sessionId;
    const ack = await this.post({ jsonrpc: '2.0', method: 'notifications/initialized' });
    if (ack.status !== 202) throw new Error(`notifications/initialized: ${ack.status} ${ack.body}`);
  }

  /** One tools/call; the parsed JSON-RPC result (throws on HTTP or JSON-RPC errors). */
  async callTool(name: string, args: Record<string, unknown>): Promise<{ isError?: boolean; content?: unknown }> {
    const r = await this.post({ jsonrpc: '2.0', id: this.nextId++, method: 'tools/call', params: { name, arguments: args } });
    const msg = JSON.parse(r.body) as { result?: { isError?: boolean }; error?: unknown };
    if (r.status !== 200 || !msg.result) throw new Error(`tools/call failed: ${r.status} ${r.body}`);
    return msg.result;
  }

  /** A bare GET on the same keep-alive socket (e.g. /healthz): the HTTP round trip alone. */
  get(path: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const req = http.request({ host: this.target.hostname, port: this.target.port, path, method: 'GET', agent: this.agent }, (res) => {
        res.resume().on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.end();
    });
  }

  /** DELETE the session and drop the socket. */
  async close(): Promise<void> {
    if (this.sessionId) {
      await new Promise<void>((resolve) => {
        const req = http.request(
          {
            host: this.target.hostname,
            port: this.target.port,
            path: this.target.pathname,
            method: 'DELETE',
            agent: this.agent,
            headers: { authorization: `Bearer ${this.token}`, 'mcp-session-id': this.sessionId, 'mcp-protocol-version': PROTOCOL_VERSION },
          },
          (res) => res.resume().on('end', () => resolve()),
        );
        req.on('error', () => resolve());
        req.end();
      });
    }
    this.agent.destroy();
  }
}
