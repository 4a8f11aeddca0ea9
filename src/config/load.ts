// Load airlock.yaml + environment into a validated config; errors name the bad key.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { configSchema, type AirlockConfig } from './schema.js';
import { configError } from '../errors.js';
import { formatIssues } from '../domain/issues.js';

export interface LoadOptions {
  file?: string;
  env?: NodeJS.ProcessEnv;
  /** flag overrides, applied last */
  overrides?: Partial<{
    upstream: string;
    store: string;
    redis: string;
    wirePort: number;
    httpPort: number;
    approvalWait: number;
  }>;
}

export { formatIssues };

// the YAML parser is loaded when there is a file to read: a command run without one (`airlock check`
// in a hook, once per file) does not pay the ~25 ms its module graph takes to load
const parseYaml = (text: string): unknown => (createRequire(import.meta.url)('yaml') as typeof import('yaml')).parse(text);

export function parseConfig(raw: unknown, source = 'config'): AirlockConfig {
  const result = configSchema.safeParse(raw ?? {});
  if (!result.success) throw configError(`invalid ${source}:\n${formatIssues(result.error.issues)}`);
  return result.data;
}

export function loadConfig(opts: LoadOptions = {}): AirlockConfig {
  const env = opts.env ?? process.env;
  const file = opts.file ?? env.AIRLOCK_CONFIG;
  let raw: Record<string, unknown> = {};
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw configError(`cannot read config file ${file}: ${(err as Error).message}`);
    }
    try {
      raw = (parseYaml(text) as Record<string, unknown>) ?? {};
    } catch (err) {
      throw configError(`config file ${file} is not valid YAML: ${(err as Error).message}`);
    }
    if (typeof raw !== 'object' || Array.isArray(raw)) throw configError(`config file ${file} must be a mapping`);
  }
  const set = (section: string, key: string, value: unknown) => {
    if (value === undefined || value === '') return;
    raw[section] = { ...((raw[section] as Record<string, unknown> | undefined) ?? {}), [key]: value };
  };
  set('upstream', 'url', env.AIRLOCK_UPSTREAM_URL);
  set('store', 'url', env.AIRLOCK_STORE_URL);
  set('redis', 'url', env.REDIS_URL);
  // secrets of the Slack app and the SMTP server may stay out of the file
  if (raw.slack) set('slack', 'botToken', env.AIRLOCK_SLACK_BOT_TOKEN);
  if (raw.slack) set('slack', 'signingSecret', env.AIRLOCK_SLACK_SIGNING_SECRET);
  if (raw.email) set('email', 'url', env.AIRLOCK_SMTP_URL);
  const o = opts.overrides ?? {};
  set('upstream', 'url', o.upstream);
  set('store', 'url', o.store);
  set('redis', 'url', o.redis);
  set('wire', 'port', o.wirePort);
  set('http', 'port', o.httpPort);
  set('wire', 'approvalWaitSeconds', o.approvalWait);
  return parseConfig(raw, file ? `config file ${file}` : 'config');
}
