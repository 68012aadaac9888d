import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    globals: true,
    root: './',
    include: ['test/**/*.e2e-spec.ts'],
    // A fixture app's own suites run inside that app, after it is installed (install.e2e-spec.ts).
    exclude: [...configDefaults.exclude, 'test/fixtures/**'],
  },
});
