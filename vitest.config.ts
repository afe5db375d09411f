import { defineConfig } from 'vitest/config';

// Forks, not threads: isolated-vm needs --no-node-snapshot, which only reaches child processes.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    execArgv: ['--no-node-snapshot', '--no-turbo-inline-js-wasm-calls'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
