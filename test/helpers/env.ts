// Where the tests find the real services: the local PostgreSQL and Redis unless overridden.
import { randomBytes } from 'node:crypto';

export const DATABASE_URL = process.env.DATABASE_URL ?? 'postgresql://root@127.0.0.1:5432/test';
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
export const CORPUS_DIR = process.env.AIRLOCK_CORPUS_DIR ?? new URL('../corpus/', import.meta.url).pathname;

/** This test run's tag (set by the global setup): the global teardown drops whatever carries it. */
export const RUN_TAG = process.env.AIRLOCK_TEST_RUN ?? 'x';

/** What every name uniqueName makes holds: how a test tells this run's objects from the machine's. */
export const RUN_MARK = `_${RUN_TAG}`;

/** A short random name for a schema, queue or database owned by one test (and tagged with the run). */
export const uniqueName = (prefix: string) => `${prefix}${RUN_MARK}${randomBytes(4).toString('hex')}`;

/** A response's JSON, shaped as whatever the test then asserts. */
// `any` on purpose: the assertions that follow are the type check
export const jsonBody = (r: Response): Promise<any> => r.json();
