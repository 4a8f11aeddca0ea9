// `airlock serve`: the gateway with its front doors (wire proxy, HTTP API + console, MCP).
import type { Command } from 'commander';
import type { AirlockConfig } from '../config/schema.js';
import { Gateway } from '../gateway/gateway.js';
import { raceTimeout as within } from '../domain/race-timeout.js';
import { redactUrl } from '../domain/redact-url.js';
import { startWireServer, type WireServer } from '../wire/server.js';
import { startHttpServer, type HttpServer } from '../rest/http-server.js';
import { invalidParameterValue } from '../errors.js';
import { logger } from '../logger.js';
import { configFor } from './context.js';
import { agentTokens, apiProxyRouter } from '../rest/api-proxy.js';
import { apiCallFront } from '../rest/api-call-front.js';

export interface Running {
  gateway: Gateway;
  wire: WireServer;
  http: HttpServer;
  /** stop accepting connections (wire and HTTP), then let in-flight statements and requests finish, at most graceMs */
  drain(graceMs: number): Promise<void>;
  close(): Promise<void>;
}

/** how long `serve` waits for the upstream at start before it warns and goes on */
const UPSTREAM_START_CHECK_MS = 5000;

/** The upstream's role at start; null, with a clear warning, when it does not answer (serve starts anyway). */
async function upstreamAtStart(gateway: Gateway, url: string) {
  const warn = (why: string) =>
    logger.warn(
      { upstream: redactUrl(url), err: why },
      'the upstream database is unreachable: airlock serve starts anyway, agents get errors and /readyz answers 503 until it answers',
    );
  try {
    const role = await within(gateway.upstreamRole(), UPSTREAM_START_CHECK_MS);
    if (role !== 'timeout') return role.value;
    warn(`no answer within ${UPSTREAM_START_CHECK_MS} ms`);
  } catch (err) {
    warn(err instanceof Error ? err.message : String(err));
  }
  return null;
}

/** Start everything `serve` runs; used by `serve`, `demo` and end-to-end tests. */
export async function startAll(
  config: AirlockConfig,
  opts: {
    queueName?: string;
    storeSchema?: string;
    /** the caller already told the user (the embedded demo) */ sandboxUpstream?: boolean;
  } = {},
): Promise<Running> {
  const gateway = await Gateway.open(config, opts);
  try {
    const role = await upstreamAtStart(gateway, config.upstream.url);
    if (role) await gateway.checkMasking();
    if (!opts.sandboxUpstream && (role?.superuser || role?.bypassRls)) {
      logger.warn(
        { role: role.role },
        `upstream role ${role.role} is ${role.superuser ? 'a superuser' : 'allowed to bypass row-level security'}: plain SELECTs can read password hashes and server files; use a dedicated non-superuser role`,
      );
    }
    const wire = await startWireServer({
      gateway,
      config: { ...config.wire, poolSize: config.upstream.poolSize, maxPerAgent: config.upstream.maxPerAgent },
    });
    // loaded on demand: the MCP SDK is only needed by `serve`, not by every CLI command
    const { createMcpHttp } = await import('../mcp/http.js');
    const mcp = createMcpHttp(gateway);
    // the API proxy: POST /v1/call ahead of express (its hot path), approvals and /proxy as routes
    const agentOf = agentTokens(gateway);
    const apiCall = apiCallFront(gateway, agentOf);
    // reviewer doors beyond the console, when configured: the Slack app and email notices
    const slack = config.slack ? (await import('../slack/slack-interactivity.js')).createSlackDoor(gateway, config.slack) : null;
    const email = config.email ? new (await import('../email/email-notice.js')).EmailNotices(gateway, config.email) : null;
    email?.start();
    const http = await startHttpServer(gateway, {
      host: config.http.host,
      port: config.http.port,
      mount: (app) => {
        app.use(apiProxyRouter(gateway, agentOf));
        mcp.mount(app);
        slack?.mount(app);
      },
      front: (req, res) => mcp.front(req, res) || apiCall(req, res),
      wireAddress: () => ({ host: config.wire.host, port: wire.port }),
    });
    gateway.useHttpAddress(config.http.host, http.port);
    gateway.ops.watchWire(() => wire.stats());
    return {
      gateway,
      wire,
      http,
      // both doors stop accepting at once (each drain closes its listener before its first await)
      drain: async (graceMs) => {
        await Promise.all([wire.drain(graceMs), http.drain(graceMs)]);
      },
      close: async () => {
        await wire.close();
        mcp.sessions.closeAll();
        await slack?.close();
        await email?.stop();
        await http.close();
        await gateway.close();
      },
    };
  } catch (err) {
    await gateway.close();
    throw err;
  }
}

const collect = (value: string, previous: string[]) => [...previous, value];

const port = (v: string | undefined, name: string) => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw invalidParameterValue(`${name} must be a port number (0-65535)`);
  return n;
};

/**
 * On SIGINT/SIGTERM: stop accepting connections, let in-flight statements finish (config
 * `shutdownGraceMs`), then close so queued audit events are written; exit 0. Pending approvals stay
 * pending in the store. A second signal ends the process at once.
 */
export function closeOnSignals(running: Running): void {
  let closing = false;
  const stop = (signal: string) => {
    if (closing) return;
    closing = true;
    const graceMs = running.gateway.config.shutdownGraceMs;
    logger.info({ signal, graceMs }, 'shutting down: no new connections, in-flight statements may finish');
    void running
      .drain(graceMs)
      .then(() => running.close())
      .catch((err: unknown) => logger.error({ err: (err as Error)?.message }, 'error while shutting down'))
      .finally(() => process.exit(0));
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

export function register(program: Command): void {
  program
    .command('serve')
    .description('run the gateway: wire proxy, reviewer API and console, MCP over HTTP')
    .option('--upstream <url>', 'PostgreSQL that agents reach; env AIRLOCK_UPSTREAM_URL')
    .option('--store <url>', 'sqlite:PATH (default) or postgresql://...; env AIRLOCK_STORE_URL')
    .option('--redis <url>', 'BullMQ approval queue on Redis; env REDIS_URL')
    .option('--wire-port <port>', 'wire proxy port (default 6432)')
    .option('--http-port <port>', 'HTTP port (default 8080)')
    .option('--approval-wait <seconds>', 'how long a wire client waits for a decision (default 60)')
    .option('--integrations <dir>', 'a folder of integration definitions, beside the shipped ones (repeatable)', collect, [])
    .action(
      async (
        flags: {
          upstream?: string;
          store?: string;
          redis?: string;
          wirePort?: string;
          httpPort?: string;
          approvalWait?: string;
          integrations: string[];
        },
        cmd: Command,
      ) => {
        const wait = flags.approvalWait === undefined ? undefined : Number(flags.approvalWait);
        if (wait !== undefined && !(wait >= 0)) throw invalidParameterValue('--approval-wait must be a number of seconds');
        const config = configFor(cmd, flags, {
          wirePort: port(flags.wirePort, '--wire-port'),
          httpPort: port(flags.httpPort, '--http-port'),
          approvalWait: wait,
        });
        config.integrations.dirs.push(...flags.integrations);
        const running = await startAll(config);
        closeOnSignals(running);
        const host = config.wire.host;
        process.stdout.write(
          [
            `airlock: wire proxy on postgresql://AGENT:TOKEN@${host}:${running.wire.port}/DATABASE`,
            `airlock: console and API on http://${config.http.host}:${running.http.port}/  (MCP: /mcp, API proxy: /v1/call, /proxy)`,
            `airlock: store ${config.store.url.replace(/\/\/[^@]*@/, '//***@')}, queue ${config.redis.url ? 'BullMQ on Redis' : 'in-process'}`,
            '',
          ].join('\n'),
        );
      },
    );
}
