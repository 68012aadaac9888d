import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    globals: true,
    root: './',
    // Fails the run if it touched Redis data it did not create (see the file).
    globalSetup: ['./test/support/redis-guard.global-setup.ts'],
    include: ['test/**/*.e2e-spec.ts'],
    // A fixture app's own suites run inside that app, after it is installed (install.e2e-spec.ts).
    exclude: [...configDefaults.exclude, 'test/fixtures/**'],
  },
});
