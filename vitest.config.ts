import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = fileURLToPath(new URL('./src', import.meta.url));

export default defineConfig({
  resolve: {
    // Tests import the package by name, exactly as users do, but from source.
    alias: [
      { find: /^libretto$/, replacement: `${src}/index.ts` },
      { find: /^libretto\/(.+)$/, replacement: `${src}/$1/index.ts` },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    // The files mostly wait on servers (PostgreSQL, RabbitMQ, child processes), each on
    // databases and queues of its own: one worker per core, at least two (vitest's default
    // leaves a core idle, which on a 2-core machine means one file at a time).
    maxWorkers: Math.max(2, availableParallelism()),
    minWorkers: 1,
    hookTimeout: 60_000,
  },
});
