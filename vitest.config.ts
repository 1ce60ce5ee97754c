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
    // databases and queues of its own: one worker more than the cores, at least three (on 2
    // cores the whole suite took 566 s with two workers and 477 s with three, none failing).
    maxWorkers: Math.max(3, availableParallelism() + 1),
    minWorkers: 1,
    hookTimeout: 60_000,
  },
});
