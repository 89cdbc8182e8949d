import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 60_000,
    // onnxruntime-node sessions are native and heavy; forks isolate them cleanly.
    pool: 'forks',
  },
});
