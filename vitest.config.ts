import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // vitest's default is one worker fewer than the CPUs: on a 2-core machine the files ran one at a
    // time. Most of them wait on PostgreSQL, Redis, sockets and child processes, and each test names
    // what it creates after the run's tag (global-setup.ts), so two files at once share a machine.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    globalSetup: ['test/helpers/global-setup.ts'],
  },
});
