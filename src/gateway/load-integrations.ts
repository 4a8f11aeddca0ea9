// The integrations a gateway serves: the shipped definitions it enables plus the configured folders, read and
// validated (errors name the file and key), then compiled (argument schemas, CEL conditions). Any
// problem stops the start with every message at once.
import { configError } from '../errors.js';
import { readDefinitions } from '../integrations/read-definitions.js';
import { IntegrationRegistry } from '../integrations/registry.js';

export function loadIntegrations(cfg: { dirs: readonly string[]; enable: readonly string[] }): IntegrationRegistry {
  const enabled = (name: string) => cfg.enable.includes('*') || cfg.enable.includes(name);
  const { definitions, errors } = readDefinitions([...cfg.dirs], enabled);
  if (errors.length) throw configError(`integration definitions are invalid:\n  ${errors.join('\n  ')}`);
  return new IntegrationRegistry(definitions);
}
