// Issue 15, item 4: the container files. `docker compose config -q` (or Debian's docker-compose) must
// accept docker-compose.yml; the file's shape (services, healthchecks, ordering, volumes, env) and the
// Dockerfile's (multi-stage, non-root, ports, healthcheck without curl) are checked without Docker.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const read = (file: string) => readFileSync(`${root}/${file}`, 'utf8');

/** The compose command of this machine: the plugin, else the standalone v1; null when neither runs. */
function composeCli(): string[] | null {
  for (const cmd of [['docker', 'compose'], ['docker-compose']]) {
    const r = spawnSync(cmd[0], [...cmd.slice(1), 'version'], { encoding: 'utf8' });
    if (r.status === 0) return cmd;
  }
  return null;
}

const cli = composeCli();
const compose = (env: NodeJS.ProcessEnv) =>
  spawnSync(cli![0], [...cli!.slice(1), '-f', 'docker-compose.yml', 'config', '-q'], { cwd: root, encoding: 'utf8', env });

describe('docker-compose.yml', () => {
  const file = parse(read('docker-compose.yml'));
  const services = file.services as Record<string, any>;

  it.skipIf(!cli)(
    `is accepted by \`${cli?.join(' ') ?? 'docker compose'} config -q\`${cli ? '' : ' (skipped: neither docker compose nor docker-compose runs here; scripts/install-test-deps.sh installs one when it can)'}`,
    () => {
      const base = { PATH: process.env.PATH, HOME: process.env.HOME };
      const ok = compose({ ...base, AIRLOCK_MASTER_KEY: Buffer.alloc(32, 7).toString('base64') });
      expect(ok.status, ok.stderr).toBe(0);
      // the master key is required: it never defaults to something guessable
      const missing = compose(base);
      expect(missing.status).not.toBe(0);
      expect(missing.stderr).toContain('AIRLOCK_MASTER_KEY');
    },
  );

  it('runs airlock, the upstream PostgreSQL, the store PostgreSQL and Redis, each with a healthcheck and a named volume', () => {
    expect(Object.keys(services).sort()).toEqual(['airlock', 'redis', 'store', 'upstream']);
    const volumes = Object.keys(file.volumes ?? {});
    for (const [name, svc] of Object.entries(services)) {
      expect(svc.healthcheck?.test, `${name} healthcheck`).toBeTruthy();
      const named = (svc.volumes as string[]).map((v) => v.split(':')[0]);
      expect(named.length, `${name} volume`).toBeGreaterThan(0);
      for (const v of named) expect(volumes, `${name} uses a declared named volume`).toContain(v);
    }
    expect(services.upstream.image).toMatch(/^postgres:/);
    expect(services.store.image).toMatch(/^postgres:/);
    expect(services.redis.image).toMatch(/^redis:/);
  });

  it('starts airlock once its dependencies are healthy, with its settings from the environment', () => {
    const a = services.airlock;
    expect(a.build).toBe('.');
    expect(a.depends_on).toEqual({
      upstream: { condition: 'service_healthy' },
      store: { condition: 'service_healthy' },
      redis: { condition: 'service_healthy' },
    });
    expect(a.environment.AIRLOCK_UPSTREAM_URL).toMatch(/^postgresql:\/\/.*@upstream:5432\//);
    expect(a.environment.AIRLOCK_STORE_URL).toMatch(/^postgresql:\/\/.*@store:5432\//);
    expect(a.environment.REDIS_URL).toBe('redis://redis:6379');
    expect(a.environment.AIRLOCK_MASTER_KEY).toMatch(/^\$\{AIRLOCK_MASTER_KEY:\?/);
    expect(a.ports).toEqual(['6432:6432', '8080:8080']);
    expect(a.volumes).toContain('airlock-state:/var/lib/airlock');
    expect(JSON.stringify(a.healthcheck.test)).toContain('/readyz');
  });
});

describe('Dockerfile', () => {
  const text = read('Dockerfile');
  const lines = text.split('\n').filter((l) => !l.trimStart().startsWith('#'));
  const from = lines.filter((l) => l.startsWith('FROM '));

  it('builds in one stage and runs slim, as the node user', () => {
    expect(from).toEqual(['FROM node:20-bookworm-slim AS build', 'FROM node:20-bookworm-slim AS runtime']);
    const runtime = lines.slice(lines.indexOf(from[1]));
    expect(runtime).toContain('USER node');
    expect(runtime.join('\n')).not.toMatch(/^USER root/m);
    expect(runtime).toContain('EXPOSE 6432 8080');
    for (const dir of ['dist', 'migrations', 'integrations', 'demo', 'node_modules', 'bin'])
      expect(
        runtime.some((l) => l.startsWith(`COPY --from=build /app/${dir} `)),
        dir,
      ).toBe(true);
    const build = lines.slice(0, lines.indexOf(from[1])).join('\n');
    expect(build).toContain('npm ci');
    expect(build).toContain('npm run build');
    expect(build).toContain('npm prune --omit=dev');
  });

  it('checks its health with node (no curl in slim images) on /healthz', () => {
    const healthcheck = text.slice(text.indexOf('HEALTHCHECK'));
    expect(healthcheck).toMatch(/CMD \["node", "-e", "fetch\('http:\/\/127\.0\.0\.1:8080\/healthz'\)/);
    expect(lines.join('\n'), 'no curl or wget is run').not.toMatch(/\bcurl\b|\bwget\b/);
  });

  it('keeps installed and built output out of the build context', () => {
    const ignored = read('.dockerignore').split('\n');
    for (const p of ['node_modules', 'dist', '.git']) expect(ignored).toContain(p);
  });
});
