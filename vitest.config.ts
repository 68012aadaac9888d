import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    globals: true,
    root: './',
    // Fails the run if it touched Redis data it did not create (see the file).
    globalSetup: ['./test/support/redis-guard.global-setup.ts'],
    include: ['src/**/*.spec.ts'],
  },
});
