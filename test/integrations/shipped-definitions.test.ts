// The definitions shipped in integrations/: they parse, their argument schemas compile under strict
// ajv, their CEL conditions parse, path parameters are required, destructive methods are blocked,
// and the README lists them as they are. Then `airlock integrations list|show` as a process.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseCel } from '@bufbuild/cel';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { runCli } from '../helpers/cli.js';
import { afterAll, describe, expect, it } from 'vitest';
import { httpLine, pathParams } from '../../src/integrations/definition.js';
import { readDefinitions, shippedDir } from '../../src/integrations/read-definitions.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SHIPPED = join(ROOT, 'integrations');
const { definitions, errors } = readDefinitions([]);
const byName = Object.fromEntries(definitions.map((d) => [d.name, d]));
const allMethods = definitions.flatMap((d) => Object.entries(d.methods).map(([name, m]) => ({ integration: d.name, name, m })));

describe('shipped integration definitions', () => {
  it('are read from the repository folder, every file, without errors', () => {
    expect(shippedDir()).toBe(`${SHIPPED}/`);
    expect(errors).toEqual([]);
    const files = readdirSync(SHIPPED).filter((f) => /\.ya?ml$/.test(f));
    expect(files.sort()).toEqual(['github.yaml', 'linear.yaml', 'posthog.yaml', 'stripe.yaml']);
    expect(Object.keys(byName).sort()).toEqual(['github', 'linear', 'posthog', 'stripe']);
  });

  it('every path parameter is a required property; every method has a description', () => {
    for (const { integration, name, m } of allMethods) {
      const where = `${integration}.${name}`;
      expect(m.description?.trim(), where).toBeTruthy();
      const params = m.params as { properties?: Record<string, unknown>; required?: string[]; additionalProperties?: unknown };
      expect(params.additionalProperties, `${where} additionalProperties`).toBe(false);
      for (const p of pathParams(httpLine(m).path)) {
        expect(params.properties, where).toHaveProperty(p);
        expect(params.required, where).toContain(p);
      }
    }
  });

  it('argument schemas compile under strict ajv and conditions are non-empty CEL', () => {
    // strict, except that oneOf branches may require properties declared beside them (create_refund: charge or payment_intent)
    const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false });
    (addFormats as unknown as (a: Ajv) => void)(ajv);
    for (const { integration, name, m } of allMethods) {
      expect(() => ajv.compile(m.params), `${integration}.${name}`).not.toThrow();
      for (const r of m.rules) {
        expect(r.when.trim(), `${integration}.${name}`).not.toBe('');
        expect(() => parseCel(r.when), `${integration}.${name}: ${r.when}`).not.toThrow();
      }
    }
  });

  it('delete-like methods are blocked; reads are auto', () => {
    for (const { integration, name, m } of allMethods) {
      if (/^(delete|destroy|remove|purge)_/.test(name)) expect(m.tier, `${integration}.${name}`).toBe('block');
      if (/^(list|get|retrieve)_/.test(name)) expect(m.tier, `${integration}.${name}`).toBe('auto');
    }
  });

  it('has the tiers and rules a careful operator would choose', () => {
    const { stripe, github, linear, posthog } = byName;
    expect(stripe).toMatchObject({ baseUrl: 'https://api.stripe.com', bodyEncoding: 'form', idempotencyHeader: 'Idempotency-Key' });
    expect(stripe.auth).toEqual({ type: 'bearer', secret: 'stripe_api_key' });
    expect(stripe.methods.create_refund.tier).toBe('ask');
    expect(stripe.methods.create_refund.rules).toMatchObject([
      { tier: 'ask', approvals: 2, when: '!has(args.amount) || args.amount > 10000' },
      { tier: 'auto', when: 'has(args.amount) && args.amount <= 50' },
    ]);
    expect(stripe.methods.cancel_subscription).toMatchObject({ http: 'DELETE /v1/subscriptions/{subscription}', tier: 'ask' });
    expect(github.headers).toEqual({ Accept: 'application/vnd.github+json', 'X-GitHub-Api-Version': '2022-11-28' });
    expect(github.methods.merge_pull.rules).toMatchObject([{ when: 'true', tier: 'ask', approvals: 2 }]);
    expect(github.methods.delete_repo.tier).toBe('block');
    expect(linear.auth).toEqual({ type: 'header', name: 'Authorization', secret: 'linear_api_key', prefix: '' });
    for (const [name, m] of Object.entries(linear.methods)) {
      expect(m.http, name).toBe('POST /graphql');
      expect(m.graphql, name).toMatch(/^(query|mutation) /);
      expect(m.idempotent ?? false, name).toBe(m.graphql!.startsWith('query'));
    }
    expect(linear.methods.delete_issue.graphql).toContain('issueDelete(id: $id)');
    expect(posthog.methods.query).toMatchObject({ http: 'POST /api/projects/{project_id}/query/', tier: 'auto', idempotent: true });
  });

  it('README.md has a row for every method with its tier and route', () => {
    const readme = readFileSync(join(SHIPPED, 'README.md'), 'utf8');
    for (const { integration, name, m } of allMethods) {
      const row = new RegExp(`^\\| \`${name}\` +\\| ${m.tier}[^|]*\\| \`${m.http.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\` +\\|`, 'm');
      expect(readme, `${integration}.${name}`).toMatch(row);
    }
  });
});

describe('readDefinitions on other folders', () => {
  const dir = mkdtempSync(join(tmpdir(), 'airlock-defs-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('names the file and the key path of a bad definition, and a later name replaces a shipped one', () => {
    writeFileSync(
      join(dir, 'bad.yaml'),
      'name: bad\nbaseUrl: https://x.example\nmethods:\n  create_refund:\n    http: POST /r\n    tier: maybe\n',
    );
    writeFileSync(join(dir, 'broken.yml'), 'name: [unclosed\n');
    writeFileSync(join(dir, 'stripe.yaml'), 'name: stripe\nbaseUrl: https://stripe.internal.example\nmethods: {}\n');
    const r = readDefinitions([dir]);
    expect(r.errors).toHaveLength(2);
    expect(r.errors[0]).toMatch(/bad\.yaml: methods\.create_refund\.tier: Invalid option: expected one of "auto"\|"ask"\|"block"$/);
    expect(r.errors[1]).toMatch(/broken\.yml: not valid YAML/);
    expect(r.definitions.find((d) => d.name === 'stripe')?.baseUrl).toBe('https://stripe.internal.example');
    expect(r.definitions.map((d) => d.name).sort()).toEqual(['github', 'linear', 'posthog', 'stripe']);
  });

  it('reports a folder it cannot read', () => {
    expect(readDefinitions([join(dir, 'nope')]).errors).toEqual([expect.stringMatching(/nope: cannot read the folder/)]);
  });
});

describe('airlock integrations list|show', () => {
  // the built CLI, as users run it (the global test setup builds dist/)
  const airlock = (args: string[]) => runCli(args, { cwd: ROOT, env: { AIRLOCK_CONFIG: '' } });

  it('list --json prints one line per shipped integration with its tier counts', async () => {
    const r = await airlock(['integrations', 'list', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.name)).toEqual(['github', 'linear', 'posthog', 'stripe']);
    const stripe = lines.find((l) => l.name === 'stripe');
    const tiers = { auto: 0, ask: 0, block: 0 };
    for (const m of Object.values(byName.stripe.methods)) tiers[m.tier]++;
    expect(stripe).toEqual({ name: 'stripe', title: 'Stripe', baseUrl: 'https://api.stripe.com', auth: 'bearer', methods: 18, tiers });
  });

  it('show stripe --json prints the whole definition; an unknown name exits 1', async () => {
    const r = await airlock(['integrations', 'show', 'stripe', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(byName.stripe);
    const text = await airlock(['integrations', 'show', 'stripe']);
    expect(text.stdout).toMatch(/^ {2}ask {4}create_refund +POST \/v1\/refunds\n {6}when !has\(args\.amount\)/m);
    const missing = await airlock(['integrations', 'show', 'nope']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('airlock: no integration named "nope" (see airlock integrations list)\n');
  });
});
