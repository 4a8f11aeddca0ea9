// An in-process test gateway's config with the fakepay integration pointing at a fake upstream, and
// its API key in the store's vault (as `airlock vault set` puts it there).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openAdminGateway } from '../../src/gateway/admin-gateway.js';
import { testConfig } from '../helpers/gateway.js';
import { fakepayYaml, type FakeUpstream } from './fake-upstream.js';

export async function fakepayTestConfig(database: string, upstream: FakeUpstream, secret: string): Promise<ReturnType<typeof testConfig>> {
  const dir = mkdtempSync(join(tmpdir(), 'airlock-fakepay-'));
  writeFileSync(join(dir, 'fakepay.yaml'), fakepayYaml(upstream.url));
  const spec = testConfig({ database, extra: { integrations: { enable: [], dirs: [dir] } } });
  const admin = await openAdminGateway(spec.config, { create: true });
  await admin.setSecret('fakepay_key', secret, 'test');
  await admin.close();
  return spec;
}
