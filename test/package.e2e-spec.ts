import { execFileSync } from 'node:child_process';
import {
  cpSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { childEnv } from './support/child-env.js';

const root = join(import.meta.dirname, '..');

/** What `npm pack --json` reports for one package. */
interface PackReport {
  readonly files: readonly { readonly path: string }[];
}

/** Every string target of an `exports` map, however deeply nested under conditions. */
function exportTargets(exports: unknown): string[] {
  if (typeof exports === 'string') return [exports];
  if (typeof exports !== 'object' || exports === null) return [];
  return Object.values(exports).flatMap(exportTargets);
}

/**
 * What `npm pack` would publish. It runs on a copy of the package, so `prepack` (the build) runs
 * for real without touching this checkout's `dist/`, and the tarball is only listed, never
 * written.
 */
describe('the published package (npm pack)', () => {
  let dir: string;
  let files: Set<string>;
  let manifest: {
    main: string;
    types: string;
    exports: unknown;
  };

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'nestjs-heartbeat-pack-'));
    for (const entry of [
      'package.json',
      'README.md',
      'LICENSE',
      'CHANGELOG.md',
      'nest-cli.json',
      'tsconfig.json',
      'tsconfig.build.json',
      'docs',
      'src',
    ]) {
      cpSync(join(root, entry), join(dir, entry), { recursive: true });
    }
    symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');
    const stdout = execFileSync('npm', ['pack', '--dry-run', '--json'], {
      cwd: dir,
      env: childEnv(),
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // prepack's own output comes first on stdout; the report is the JSON array after it.
    const report = JSON.parse(stdout.slice(stdout.search(/^\[/m))) as [
      PackReport,
    ];
    files = new Set(report[0].files.map((file) => file.path));
    manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  }, 180_000);
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('holds the licence, the readme, the changelog and the docs', () => {
    for (const file of [
      'package.json',
      'LICENSE',
      'README.md',
      'CHANGELOG.md',
      'docs/integrations.md',
    ]) {
      expect(files).toContain(file);
    }
  });

  it('holds the build that prepack made', () => {
    expect(files).toContain('dist/main.js');
    expect(files).toContain('dist/heartbeat/index.js');
    expect(files).toContain('dist/heartbeat/index.d.ts');
  });

  it("holds the dashboard's page, which the handler reads beside its compiled code", () => {
    for (const name of ['index.html', 'dashboard.css', 'dashboard.js']) {
      expect(files).toContain(`dist/heartbeat/dashboard/assets/${name}`);
    }
    expect(files).not.toContain('docs/dashboard.png');
  });

  it('holds no spec, test, benchmark or build-state file', () => {
    expect(
      [...files].filter((file) =>
        /\.spec\.|(^|\/)(test|bench|node_modules)\/|\.tsbuildinfo$/.test(file),
      ),
    ).toEqual([]);
  });

  it('every source map points to sources that are in the package', () => {
    const maps = [...files].filter((file) => file.endsWith('.js.map'));
    const missing = maps.flatMap((map) => {
      const { sources, sourceRoot = '' } = JSON.parse(
        readFileSync(join(dir, map), 'utf8'),
      ) as { sources: string[]; sourceRoot?: string };
      return sources
        .map((source) =>
          posix.normalize(posix.join(posix.dirname(map), sourceRoot, source)),
        )
        .filter((source) => !files.has(source))
        .map((source) => `${map} -> ${source}`);
    });
    expect(missing).toEqual([]);
    // Maps are shipped (with their sources): this is not passing vacuously.
    expect(maps.length).toBeGreaterThan(0);
  });

  it('every exports target, main and types exist in the package', () => {
    const targets = [
      ...exportTargets(manifest.exports),
      manifest.main,
      manifest.types,
    ].map((target) => posix.normalize(target));
    expect(targets.length).toBeGreaterThan(10);
    expect(targets.filter((target) => !files.has(target))).toEqual([]);
  });
});
