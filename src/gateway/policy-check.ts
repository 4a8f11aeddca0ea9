// The policy's verdict on SQL without running or auditing anything, for `airlock check`: the
// port's `check` verb on its own, with no store, upstream or audit log behind it.
import type { PolicyConfig } from '../config/schema.js';
import { PolicyEngine, initPolicy } from '../policy/engine.js';
import type { RequestPort } from './port.js';

export type PolicyCheck = Pick<RequestPort, 'check'>;

/**
 * Load the parser and the configured rules. No shape cache: loading its normalizer costs more than
 * one command, or a batch of distinct statements, would save (the gateway keeps one).
 */
export async function openPolicyCheck(config: Partial<PolicyConfig>): Promise<PolicyCheck> {
  await initPolicy({ shapes: false });
  const engine = new PolicyEngine({ ...config, shapeCacheSize: 0 });
  return { check: (sql, ctx = {}) => engine.decide(sql, ctx) };
}
