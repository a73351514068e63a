import { defineConfig } from 'vitest/config';

// Unit tests (pure: ocpi/, rules) sit beside their code; integration tests live in test/
// and run against the real Postgres, NATS and ClickHouse that scripts/test makes sure of.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['ocpi/**/*.test.ts', 'src/**/*.test.ts', 'pipelines/**/*.test.ts'],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          globalSetup: ['test/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
