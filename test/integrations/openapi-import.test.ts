// `importOpenApi` on real documents (Swagger Petstore 3.0 and 2.0, a trimmed Stripe spec) and on a
// small 3.1 document of edge cases; then `airlock integrations import-openapi` as a process, whose
// file must read back through readDefinitions as the same definition.
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { runCli } from '../helpers/cli.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { integrationSchema, pathParams, type IntegrationDefinition } from '../../src/integrations/definition.js';
import { importOpenApi, toYaml } from '../../src/integrations/openapi-import.js';
import { readDefinitions } from '../../src/integrations/read-definitions.js';
import { IntegrationRegistry, checkArgs } from '../../src/integrations/registry.js';
import { buildRequest } from '../../src/integrations/request-builder.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const FIXTURES = 'test/fixtures/openapi';
const fixture = (f: string) => join(ROOT, FIXTURES, f);
const sha256 = (f: string) =>
  createHash('sha256')
    .update(readFileSync(fixture(f)))
    .digest('hex');
const props = (def: IntegrationDefinition, m: string) => (def.methods[m].params as any).properties as Record<string, any>;
const required = (def: IntegrationDefinition, m: string) => ((def.methods[m].params as any).required ?? []) as string[];
const tierOf = (verb: string) => ({ GET: 'auto', HEAD: 'auto', POST: 'ask', PUT: 'ask', PATCH: 'ask', DELETE: 'block' })[verb];

/** What every import must satisfy: the zod schema, tiers by verb, path parameters required, no $ref left, ajv-compilable. */
function checkInvariants(def: IntegrationDefinition): void {
  expect(integrationSchema.parse(def)).toEqual(def);
  const ajv = new Ajv({ allErrors: true, strict: false });
  (addFormats as unknown as (a: Ajv) => void)(ajv);
  for (const [name, m] of Object.entries(def.methods)) {
    const [verb, path] = m.http.split(' ');
    expect(m.tier, name).toBe(tierOf(verb));
    for (const p of pathParams(path)) {
      expect(props(def, name), `${name}.${p}`).toHaveProperty(p);
      expect(required(def, name), `${name} requires ${p}`).toContain(p);
    }
    expect(JSON.stringify(m.params)).not.toContain('"$ref"');
    expect(() => ajv.compile(m.params), name).not.toThrow();
  }
}

let server: Server;
let origin = '';
beforeAll(async () => {
  // serves the fixture where the real Petstore 3 serves its document: /api/v3/openapi.yaml
  server = createServer((req, res) => {
    if (req.url === '/api/v3/openapi.yaml') res.end(readFileSync(fixture('petstore-3.yaml')));
    else res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('importOpenApi: Swagger Petstore, OpenAPI 3.0', () => {
  it('resolves the relative server URL against the URL the document came from', async () => {
    const url = `${origin}/api/v3/openapi.yaml`;
    const def = await importOpenApi(url, { name: 'petstore' });
    expect(def.baseUrl).toBe(`${origin}/api/v3`);
    expect(def.source).toEqual({ openapi: url, sha256: sha256('petstore-3.yaml') });
    checkInvariants(def);
  });

  it('refuses a relative server URL from a file without --base-url, naming the flag', async () => {
    await expect(importOpenApi(fixture('petstore-3.yaml'), { name: 'petstore' })).rejects.toThrow(
      /server URL "\/api\/v3" is relative.*--base-url/,
    );
  });

  it('names methods by operationId, tiers them by verb, and resolves $refs into the argument schema', async () => {
    const def = await importOpenApi(fixture('petstore-3.yaml'), { name: 'petstore', baseUrl: 'https://petstore3.swagger.io/api/v3/' });
    expect(def.baseUrl).toBe('https://petstore3.swagger.io/api/v3');
    expect(def.title).toBe('Swagger Petstore - OpenAPI 3.0');
    expect(def.source).toEqual({ openapi: fixture('petstore-3.yaml'), sha256: sha256('petstore-3.yaml') });
    expect(Object.keys(def.methods)).toEqual(
      ['updatePet', 'addPet', 'findPetsByStatus', 'findPetsByTags', 'getPetById', 'updatePetWithForm', 'deletePet', 'uploadFile']
        .concat(['getInventory', 'placeOrder', 'getOrderById', 'deleteOrder', 'createUser', 'createUsersWithListInput', 'loginUser'])
        .concat(['logoutUser', 'getUserByName', 'updateUser', 'deleteUser']),
    );
    expect(def.methods.getPetById).toMatchObject({ http: 'GET /pet/{petId}', tier: 'auto', description: 'Find pet by ID.' });
    expect(def.methods.deletePet.tier).toBe('block');
    expect(def.methods.addPet.tier).toBe('ask');
    // the Pet body: $ref'd Category and Tag expanded, required from the schema (the body is required)
    expect(props(def, 'addPet').category).toMatchObject({
      type: 'object',
      properties: { id: { type: 'integer' }, name: { type: 'string' } },
    });
    expect(props(def, 'addPet').tags.items.properties.name).toEqual({ type: 'string' });
    expect(required(def, 'addPet')).toEqual(['name', 'photoUrls']);
    // query parameters of a POST go in the query string; the header parameter is left out
    expect(def.methods.updatePetWithForm.query).toEqual(['name', 'status']);
    expect(Object.keys(props(def, 'deletePet'))).toEqual(['petId']);
    // an array body is one `body` argument
    expect(props(def, 'createUsersWithListInput').body).toMatchObject({ type: 'array', items: { type: 'object' } });
    checkInvariants(def);
  });
});

describe('importOpenApi: Swagger Petstore, Swagger 2.0', () => {
  it('builds the base URL from schemes, host and basePath, and reads body and formData parameters', async () => {
    const def = await importOpenApi(fixture('petstore-2.json'), { name: 'petstore2', secret: 'petstore_key' });
    expect(def.baseUrl).toBe('https://petstore.swagger.io/v2');
    expect(def.auth).toEqual({ type: 'bearer', secret: 'petstore_key' });
    expect(def.source!.sha256).toBe(sha256('petstore-2.json'));
    expect(Object.keys(def.methods)).toHaveLength(20);
    expect(def.methods.uploadFile).toMatchObject({ http: 'POST /pet/{petId}/uploadImage', tier: 'ask' });
    expect(props(def, 'uploadFile').file).toMatchObject({ type: 'string' });
    expect(Object.keys(props(def, 'updatePetWithForm'))).toEqual(['petId', 'name', 'status']);
    expect(required(def, 'addPet')).toEqual(['name', 'photoUrls']);
    expect(props(def, 'findPetsByStatus').status).toMatchObject({ type: 'array', items: { enum: ['available', 'pending', 'sold'] } });
    expect(def.methods.findPetsByTags.description).toBe('(deprecated) Finds Pets by tags');
    // the User body has a `username` like the path parameter: it is kept whole as `body`
    expect(Object.keys(props(def, 'updateUser'))).toEqual(['username', 'body']);
    expect(required(def, 'updateUser')).toEqual(['username', 'body']);
    expect(props(def, 'getOrderById').orderId).toMatchObject({ type: 'integer', minimum: 1, maximum: 10 });
    checkInvariants(def);
  });
});

describe('importOpenApi: Stripe (trimmed real spec)', () => {
  it('keeps operationIds, sends forms, and survives the recursive customer ↔ subscription schemas', async () => {
    const def = await importOpenApi(fixture('stripe-trimmed.json'), { name: 'stripe', auth: 'bearer', secret: 'stripe_api_key' });
    expect(def.baseUrl).toBe('https://api.stripe.com');
    expect(def.bodyEncoding).toBe('form');
    expect(def.auth).toEqual({ type: 'bearer', secret: 'stripe_api_key' });
    expect(Object.keys(def.methods)).toHaveLength(33);
    expect(def.methods.GetCustomersCustomer).toMatchObject({ http: 'GET /v1/customers/{customer}', tier: 'auto' });
    expect(def.methods.DeleteCustomersCustomer.tier).toBe('block');
    expect(def.methods.PostRefunds.tier).toBe('ask');
    expect(props(def, 'PostRefunds').amount).toEqual({ type: 'integer' });
    expect(props(def, 'PostRefunds').reason.enum).toEqual(['duplicate', 'fraudulent', 'requested_by_customer']);
    expect(props(def, 'GetCustomers').limit).toMatchObject({ type: 'integer' });
    expect(def.methods.GetCustomers.description).toBe(
      'Returns a list of your customers. The customers are returned sorted by creation date, with the most recent customers appearing first.',
    );
    checkInvariants(def);
  });

  it('sends the secret the way --auth says', async () => {
    const header = await importOpenApi(fixture('stripe-trimmed.json'), { name: 'stripe', auth: 'header:X-Api-Key', secret: 's' });
    expect(header.auth).toEqual({ type: 'header', name: 'X-Api-Key', secret: 's', prefix: '' });
    const query = await importOpenApi(fixture('stripe-trimmed.json'), { name: 'stripe', auth: 'query:key' });
    expect(query.auth).toEqual({ type: 'query', name: 'key', secret: 'stripe_api_key' });
    const none = await importOpenApi(fixture('stripe-trimmed.json'), { name: 'stripe' });
    expect(none.auth).toEqual({ type: 'none' });
  });
});

describe('importOpenApi: edge cases (OpenAPI 3.1)', () => {
  let def: IntegrationDefinition;
  beforeAll(async () => {
    def = await importOpenApi(fixture('edge-cases.yaml'), { name: 'edge' });
  });

  it('substitutes server variables with their defaults', () => {
    expect(def.baseUrl).toBe('https://eu.api.example.com/v2');
  });

  it('names every operation deterministically: operationId, slug, or a suffix on a clash', () => {
    expect(Object.entries(def.methods).map(([n, m]) => `${n} ${m.http}`)).toEqual([
      'get_trees GET /trees',
      'createTree POST /trees',
      'trees_get_2 GET /trees/{treeId}', // "trees/get" is not a method name, and trees_get is taken
      'updateTree PUT /trees/{treeId}',
      'delete_trees_treeId_nodes_nodeId DELETE /trees/{treeId}/nodes/{nodeId}',
      'updateTree_2 PATCH /trees/{treeId}/nodes/{nodeId}',
      'trees_get POST /search',
    ]); // the OPTIONS operation is left out
  });

  it('resolves parameter $refs at path level, and path parameters are required', () => {
    expect(props(def, 'updateTree').treeId).toEqual({ type: 'string', pattern: '^[a-z0-9-]+$', description: 'The tree' });
    expect(required(def, 'delete_trees_treeId_nodes_nodeId')).toEqual(['treeId', 'nodeId']);
    expect(Object.keys(props(def, 'get_trees'))).toEqual(['limit']); // the header parameter is left out
  });

  it('expands a recursive schema once, without read-only properties, and cuts the cycle', () => {
    const p = props(def, 'createTree');
    expect(Object.keys(p)).toEqual(['name', 'parent', 'children']);
    expect(required(def, 'createTree')).toEqual(['name']);
    expect(p.children.items.description).toMatch(/^recursive/);
    expect(p.parent.description).toMatch(/^recursive/);
  });

  it('keeps a clashing or non-object body whole as `body`, and lists POST query parameters', () => {
    expect(Object.keys(props(def, 'updateTree_2'))).toEqual(['treeId', 'nodeId', 'body']);
    expect(required(def, 'updateTree_2')).toEqual(['treeId', 'nodeId']); // the body is optional
    expect(props(def, 'trees_get').body).toEqual({ type: 'array', items: { type: 'string' } });
    expect(def.methods.trees_get.query).toEqual(['q']);
    expect(def.methods.trees_get.bodyArg).toBe('body');
    expect(def.methods.updateTree_2.bodyArg).toBe('body');
    // the whole-body argument is the request body itself; the other arguments go to the path and query
    const reg = new IntegrationRegistry([def]);
    const m = reg.method(def.name, 'trees_get');
    const sent = buildRequest(m, checkArgs(m, { q: 'oak', body: ['a', 'b'] }));
    expect(sent.body).toBe('["a","b"]');
    expect(sent.url).toMatch(/\?q=oak$/);
    const moved = reg.method(def.name, 'updateTree_2');
    const req = buildRequest(moved, checkArgs(moved, { treeId: 't1', nodeId: 7, body: { treeId: 't2' } }));
    expect(JSON.parse(req.body!)).toEqual({ treeId: 't2' });
    checkInvariants(def);
  });

  it('refuses a bad name, a missing file and a document that is not OpenAPI', async () => {
    await expect(importOpenApi(fixture('edge-cases.yaml'), { name: 'Bad-Name' })).rejects.toThrow(/--name "Bad-Name"/);
    await expect(importOpenApi(fixture('missing.yaml'), { name: 'x' })).rejects.toThrow(/cannot read the OpenAPI document/);
    await expect(importOpenApi(join(ROOT, 'package.json'), { name: 'x' })).rejects.toThrow(/not an OpenAPI or Swagger document/);
  });
});

describe('airlock integrations import-openapi', () => {
  const out = mkdtempSync(join(tmpdir(), 'airlock-import-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  // the built CLI, as users run it (the global test setup builds dist/)
  const airlock = (args: string[]) => runCli(args, { cwd: ROOT, env: { AIRLOCK_CONFIG: '' } });

  it('writes DIR/NAME.yaml that reads back as the same definition, and refuses to overwrite without --force', async () => {
    const args = [
      'integrations',
      'import-openapi',
      `${FIXTURES}/petstore-2.json`,
      '--name',
      'petstore',
      '--secret',
      'pet_key',
      '--out',
      out,
    ];
    const first = await airlock(args);
    expect(first.stderr).not.toMatch(/at .*\.ts:\d+/);
    expect(first.code).toBe(0);
    const file = join(out, 'petstore.yaml');
    expect(first.stdout).toContain(`wrote ${file}: 20 methods (8 auto, 9 ask, 3 block)`);
    expect(existsSync(file)).toBe(true);
    const text = readFileSync(file, 'utf8');
    expect(text).toMatch(/^# Generated by `airlock integrations import-openapi` from test\/fixtures\/openapi\/petstore-2\.json/);

    const { definitions, errors } = readDefinitions([out]);
    expect(errors).toEqual([]);
    const expected = await importOpenApi(`${FIXTURES}/petstore-2.json`, { name: 'petstore', secret: 'pet_key' });
    expect(definitions.find((d) => d.name === 'petstore')).toEqual(expected);
    expect(toYaml(expected)).toBe(text);

    const again = await airlock(args);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/petstore\.yaml exists: pass --force to replace it/);
    expect((await airlock([...args, '--force'])).code).toBe(0);
  });

  it('fails with a one-line error (no stack) on a relative server URL from a file', async () => {
    const r = await airlock(['integrations', 'import-openapi', `${FIXTURES}/petstore-3.yaml`, '--name', 'p3', '--out', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^airlock: .*relative.*--base-url/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(existsSync(join(out, 'p3.yaml'))).toBe(false);
  });
});
