// The integrations a gateway serves: the shipped definitions plus the configured folders, read and
// validated (errors name the file and key), then compiled (argument schemas, CEL conditions). Any
// problem stops the start with every message at once.
import { configError } from '../errors.js';
import { readDefinitions } from '../integrations/read-definitions.js';
import { IntegrationRegistry } from '../integrations/registry.js';

export function loadIntegrations(dirs: readonly string[]): IntegrationRegistry {
  const { definitions, errors } = readDefinitions([...dirs]);
  if (errors.length) throw configError(`integration definitions are invalid:\n  ${errors.join('\n  ')}`);
  return new IntegrationRegistry(definitions);
}
