import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Each file starts its own local stack on ephemeral ports; two workers match the CI machine's cores.
    maxWorkers: 2,
    env: {
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      // Tests act as a few users many times over: limits far above what they do, still counted (one write
      // each, which the call-count tests see). test/http/rate-limits.test.ts runs the real defaults.
      RATE_LIMITS: JSON.stringify({
        rooms_opened: [[100_000, 600]],
        messages: [[100_000, 10]],
        typing: [[100_000, 1]],
        guest_sessions: [[100_000, 1800]],
        sockets: 1_000,
        staff_factor: 1,
      }),
    },
  },
});
