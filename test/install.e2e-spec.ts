import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import {
  npmEnv,
  packPackage,
  run,
  type PackedPackage,
  type RunResult,
} from './support/pack.js';
import { childEnv } from './support/child-env.js';
import { readmeSections } from './support/readme.js';
import { runHeartbeatStoreContract } from '../src/heartbeat/testing/index.js';

/**
 * The package as users install it: `npm pack`ed once, then installed from the tarball, with the
 * npm registry, into
 * - a bare Express 5 app with `--omit=peer`: none of Nest's shared packages land, and the
 *   middleware serves;
 * - `test/fixtures/nest-host-app`, a fresh `nest new` app (ESM, nodenext, strict, Vitest) whose
 *   module, clock test and store contract test are the README's code blocks: one copy of Nest and
 *   rxjs, it typechecks, its tests pass on Express and on Fastify, the Fastify run without loading
 *   Express, and the store contract from `nestjs-heartbeat/testing` passes on the in-memory store.
 * The fixture leaves out the starter's build and lint tools (@nestjs/cli, schematics, oxlint,
 * prettier), which the checks here do not use, to keep the install short.
 */

const FIXTURES = join(import.meta.dirname, 'fixtures');
const HOST_FIXTURE = join(FIXTURES, 'nest-host-app');
const INSTALL = ['install', '--prefer-offline', '--no-audit', '--no-fund'];
const SHARED_PEERS = [
  '@nestjs/common',
  '@nestjs/core',
  '@nestjs/schedule',
  'reflect-metadata',
];

/** Every package directory under `node_modules`, nested ones included, as `name@version`. */
function installedPackages(dir: string): string[] {
  const found: string[] = [];
  const visit = (modules: string) => {
    if (!existsSync(modules)) return;
    for (const entry of readdirSync(modules)) {
      if (entry.startsWith('.')) continue;
      const paths = entry.startsWith('@')
        ? readdirSync(join(modules, entry)).map((name) =>
            join(modules, entry, name),
          )
        : [join(modules, entry)];
      for (const path of paths) {
        const manifest = join(path, 'package.json');
        if (!existsSync(manifest)) continue;
        const { name, version } = JSON.parse(
          readFileSync(manifest, 'utf8'),
        ) as {
          name: string;
          version: string;
        };
        found.push(`${name}@${version}`);
        visit(join(path, 'node_modules'));
      }
    }
  };
  visit(join(dir, 'node_modules'));
  return found.sort();
}

const nameOf = (spec: string) => spec.slice(0, spec.lastIndexOf('@'));

interface LsNode {
  version?: string;
  path?: string;
  dependencies?: Record<string, LsNode>;
}

/** Where `npm ls --long` found each package: one path per physical copy. */
function copiesByName(tree: LsNode): Map<string, Set<string>> {
  const copies = new Map<string, Set<string>>();
  const visit = (node: LsNode) => {
    for (const [name, child] of Object.entries(node.dependencies ?? {})) {
      if (!copies.has(name)) copies.set(name, new Set());
      copies.get(name)!.add(`${child.version} at ${child.path}`);
      visit(child);
    }
  };
  visit(tree);
  return copies;
}

/** Runs the fixture's e2e suite and returns vitest's JSON report. */
async function vitestRun(
  dir: string,
  name: string,
  args: string[],
  extraEnv: Record<string, string> = {},
): Promise<
  RunResult & {
    report: {
      numPassedTests: number;
      numFailedTests: number;
      numTotalTests: number;
      testResults: {
        name: string;
        assertionResults: {
          fullName: string;
          status: string;
          failureMessages: string[];
        }[];
      }[];
    };
  }
> {
  const outputFile = join(dir, `vitest-${name}.json`);
  const result = await run(
    'npx',
    [
      'vitest',
      'run',
      '--config',
      './vitest.config.e2e.ts',
      '--reporter=json',
      `--outputFile=${outputFile}`,
      // This machine may be busy installing and compiling in parallel: generous limits, never
      // timing assertions.
      '--testTimeout=60000',
      '--hookTimeout=60000',
      ...args,
    ],
    { cwd: dir, env: npmEnv(extraEnv), allowFailure: true },
  );
  if (!existsSync(outputFile)) {
    throw new Error(
      `vitest (${name}) wrote no report:\n${result.stdout}\n${result.stderr}`,
    );
  }
  const report = JSON.parse(readFileSync(outputFile, 'utf8'));
  return { ...result, report };
}

/**
 * The full names of the store contract's cases for a store without `takeStateChanges`, as Vitest
 * reports them inside `describe(suite)`: the contract run with a runner that only records names.
 */
function contractCaseNames(suite: string): string[] {
  const names: string[] = [];
  const path = [suite];
  const notRun = () => {
    throw new Error('the contract only declares its cases here');
  };
  runHeartbeatStoreContract(
    { create: notRun },
    {
      describe: (name, body) => {
        path.push(name);
        body();
        path.pop();
      },
      it: (name) => {
        names.push([...path, name].join(' '));
      },
      beforeEach: () => undefined,
      afterEach: () => undefined,
      expect: notRun,
    },
  );
  return names;
}

type VitestReport = Awaited<ReturnType<typeof vitestRun>>['report'];

/** Each failed test with its messages, so a failure inside the fixture reads here. */
const failures = (report: VitestReport) =>
  report.testResults.flatMap((file) =>
    file.assertionResults
      .filter((test) => test.status === 'failed')
      .map((test) => `${test.fullName}: ${test.failureMessages.join('\n')}`),
  );

const passed = (report: VitestReport) =>
  report.testResults
    .flatMap((file) =>
      file.assertionResults
        .filter((test) => test.status === 'passed')
        .map((test) => `${basename(file.name)} > ${test.fullName}`),
    )
    .sort();

describe('the README and the Nest host fixture', () => {
  const sections = readmeSections();

  it("the fixture's module, clock test and store test are the README's code blocks, verbatim", () => {
    const [embed] = sections.get('Embed it in your Nest application') ?? [];
    const [clockTest] =
      sections.get('Test your app with a controllable clock') ?? [];
    const [vitestStoreTest, jestStoreTest] =
      sections.get('Test a store of your own') ?? [];
    expect(
      readFileSync(join(HOST_FIXTURE, 'src', 'app.module.ts'), 'utf8'),
    ).toBe(embed);
    expect(
      readFileSync(
        join(HOST_FIXTURE, 'test', 'heartbeat-clock.e2e-spec.ts'),
        'utf8',
      ),
    ).toBe(clockTest);
    expect(
      readFileSync(
        join(HOST_FIXTURE, 'test', 'heartbeat-store.e2e-spec.ts'),
        'utf8',
      ),
    ).toBe(vitestStoreTest);
    // The Jest example is the same file with Jest's functions.
    expect(jestStoreTest).toBe(
      vitestStoreTest!.replace("from 'vitest'", "from '@jest/globals'"),
    );
  });

  it("the fixture depends on what the README's Install section installs", () => {
    const install = (sections.get('Install') ?? []).join('\n');
    // The Nest host's command: the one without flags.
    const nestHost = install
      .split('\n')
      .find((line) => line.startsWith('npm i ') && !line.includes(' --'));
    expect(nestHost).toMatch(/^npm i nestjs-heartbeat /);
    const { dependencies } = JSON.parse(
      readFileSync(join(HOST_FIXTURE, 'package.json'), 'utf8'),
    ) as { dependencies: Record<string, string> };
    for (const name of nestHost!.split(/\s+/).slice(2)) {
      expect(dependencies).toHaveProperty([name]);
    }
    expect(install).toContain('npm i nestjs-heartbeat express --omit=peer');
  });
});

describe.concurrent('installing the packed package', () => {
  let workDir: string;
  let packed: PackedPackage;
  let bareInstall: Promise<{ dir: string } & RunResult>;
  let hostInstall: Promise<{ dir: string } & RunResult>;

  beforeAll(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'nestjs-heartbeat-install-'));
    packed = await packPackage(workDir);
    console.log(
      `npm pack: ${basename(packed.tarball)}, ${packed.files.length} files (${packed.built}), ${Math.round(packed.ms)} ms`,
    );
    const dependency = `file:${packed.tarball}`;

    bareInstall = (async () => {
      const dir = join(workDir, 'bare-express-app');
      mkdirSync(dir);
      cpSync(join(FIXTURES, 'bare-express-app.mjs'), join(dir, 'serve.mjs'));
      writeFileSync(
        join(dir, 'package.json'),
        JSON.stringify(
          {
            name: 'bare-express-app',
            private: true,
            type: 'module',
            dependencies: { express: '^5', 'nestjs-heartbeat': dependency },
          },
          null,
          2,
        ),
      );
      const result = await run('npm', [...INSTALL, '--omit=peer'], {
        cwd: dir,
        env: npmEnv(),
      });
      console.log(
        `bare Express app: npm install --omit=peer took ${Math.round(result.ms)} ms`,
      );
      return { dir, ...result };
    })();

    hostInstall = (async () => {
      const dir = join(workDir, 'nest-host-app');
      cpSync(HOST_FIXTURE, dir, {
        recursive: true,
        filter: (source) =>
          !/[\\/](node_modules|dist)$|\.tsbuildinfo$|package-lock\.json$/.test(
            source,
          ),
      });
      const manifestPath = join(dir, 'package.json');
      const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as {
        dependencies: Record<string, string>;
      };
      manifest.dependencies['nestjs-heartbeat'] = dependency;
      writeFileSync(manifestPath, JSON.stringify(manifest, null, 2));
      const result = await run('npm', INSTALL, { cwd: dir, env: npmEnv() });
      console.log(
        `Nest host app: npm install took ${Math.round(result.ms)} ms`,
      );
      return { dir, ...result };
    })();
    // Each install is awaited by its own tests; a failure is reported there, not here.
    bareInstall.catch(() => undefined);
    hostInstall.catch(() => undefined);
  }, 300_000);

  afterAll(async () => {
    await Promise.allSettled([bareInstall, hostInstall]);
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  }, 60_000);

  it('a bare Express app installs with --omit=peer and gets none of the shared Nest packages', async ({
    expect,
  }) => {
    const { dir } = await bareInstall;
    const packages = installedPackages(dir);
    const names = packages.map(nameOf);
    console.log(
      `bare Express app: ${packages.length} packages installed, @nestjs: ${names.filter((name) => name.startsWith('@nestjs/')).join(', ')}`,
    );
    for (const peer of SHARED_PEERS) expect(names).not.toContain(peer);
    // The standalone server's default platform is a dependency; it is on disk, never loaded.
    expect(names.filter((name) => name.startsWith('@nestjs/'))).toEqual([
      '@nestjs/platform-express',
    ]);
    expect(names).toEqual(
      expect.arrayContaining(['express', 'nestjs-heartbeat', 'rxjs']),
    );
  }, 300_000);

  it('the bare Express app serves the protocol through nestjs-heartbeat/express, loading no @nestjs/*', async ({
    expect,
  }) => {
    const { dir } = await bareInstall;
    const { stdout } = await run(
      process.execPath,
      ['--import', join(FIXTURES, 'block-nest.mjs'), 'serve.mjs'],
      { cwd: dir, env: childEnv() },
    );
    expect(JSON.parse(stdout.trim().split('\n').at(-1)!)).toEqual({
      init: [200, '1500'],
      // Real time passes between the two requests: od is whatever it is, the state OK.
      status: [
        200,
        expect.stringMatching(
          /^OK - fine application \[bare\]\| od=\d+\.\d\d;3;5;0;6 delay=1500ms;;;$/,
        ),
      ],
      list: [200, 'bare\n'],
    });
  }, 300_000);

  it('a Nest host gets one copy of @nestjs/common, @nestjs/core and rxjs, and no optional peer', async ({
    expect,
  }) => {
    const { dir } = await hostInstall;
    const { stdout } = await run(
      'npm',
      [
        'ls',
        '@nestjs/common',
        '@nestjs/core',
        'rxjs',
        '--all',
        '--json',
        '--long',
      ],
      { cwd: dir, env: npmEnv() },
    );
    const copies = copiesByName(JSON.parse(stdout) as LsNode);
    for (const name of ['@nestjs/common', '@nestjs/core', 'rxjs']) {
      expect([...(copies.get(name) ?? [])], name).toEqual([
        expect.stringContaining(join(dir, 'node_modules', name)),
      ]);
    }
    const names = installedPackages(dir).map(nameOf);
    console.log(`Nest host app: ${names.length} packages installed`);
    for (const optional of [
      'ioredis',
      'prom-client',
      '@nestjs/terminus',
      '@nestjs/event-emitter',
    ]) {
      expect(names).not.toContain(optional);
    }
  }, 300_000);

  it('a host on another major of Nest is refused, never given a second copy', async ({
    expect,
  }) => {
    const dir = join(workDir, 'nest-11-host');
    mkdirSync(dir);
    writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify({
        name: 'nest-11-host',
        private: true,
        type: 'module',
        dependencies: {
          '@nestjs/common': '^11.0.0',
          '@nestjs/core': '^11.0.0',
          'reflect-metadata': '^0.2.2',
          rxjs: '^7.8.1',
          'nestjs-heartbeat': `file:${packed.tarball}`,
        },
      }),
    );
    const { code, stderr } = await run('npm', [...INSTALL, '--dry-run'], {
      cwd: dir,
      env: npmEnv(),
      allowFailure: true,
    });
    expect(code).not.toBe(0);
    expect(stderr).toContain('ERESOLVE');
    expect(stderr).toMatch(
      /peer @nestjs\/(common|core)@"\^12\.0\.0" from nestjs-heartbeat/,
    );
  }, 300_000);

  it('the Nest host typechecks (strict, nodenext) against the packed typings', async () => {
    const { dir } = await hostInstall;
    await run('npx', ['tsc', '--noEmit'], { cwd: dir, env: npmEnv() });
  }, 300_000);

  it("the Nest host's tests pass on Express and on Fastify", async ({
    expect,
  }) => {
    const { dir } = await hostInstall;
    const { report, ms } = await vitestRun(dir, 'all', []);
    console.log(
      `Nest host app: vitest ran ${report.numTotalTests} tests in ${Math.round(ms)} ms`,
    );
    expect(failures(report)).toEqual([]);
    expect(passed(report)).toEqual(
      [
        'app.e2e-spec.ts > heartbeat on express (e2e) answers bad input with one ERROR line',
        'app.e2e-spec.ts > heartbeat on express (e2e) keeps the registry in the store the test installed',
        'app.e2e-spec.ts > heartbeat on express (e2e) registers with hb_init and answers T',
        'app.e2e-spec.ts > heartbeat on express (e2e) reports a worker that stopped pinging, on the clock the test moves',
        'app.e2e-spec.ts > heartbeat on fastify (e2e) answers bad input with one ERROR line',
        'app.e2e-spec.ts > heartbeat on fastify (e2e) keeps the registry in the store the test installed',
        'app.e2e-spec.ts > heartbeat on fastify (e2e) registers with hb_init and answers T',
        'app.e2e-spec.ts > heartbeat on fastify (e2e) reports a worker that stopped pinging, on the clock the test moves',
        'heartbeat-clock.e2e-spec.ts > goes CRITICAL when the worker stops pinging',
        ...contractCaseNames('InMemoryHeartbeatStore').map(
          (name) => `heartbeat-store.e2e-spec.ts > ${name}`,
        ),
      ].sort(),
    );
  }, 300_000);

  it('on Fastify, the Nest host loads nothing of @nestjs/platform-express', async ({
    expect,
  }) => {
    const { dir } = await hostInstall;
    const hook = join(FIXTURES, 'block-platform-express.mjs');
    const log = join(dir, 'blocked.log');
    const blockedEnv = {
      NODE_OPTIONS: `--import=${hook}`,
      HB_BLOCK_LOG: log,
    };

    // The hook works: Express cannot be loaded under it, and the attempt is logged.
    const probe = await run(
      process.execPath,
      ['--input-type=module', '-e', "await import('@nestjs/platform-express')"],
      { cwd: dir, env: npmEnv(blockedEnv), allowFailure: true },
    );
    expect(probe.code).not.toBe(0);
    expect(readFileSync(log, 'utf8')).toMatch(
      /^blocked @nestjs\/platform-express/m,
    );
    rmSync(log);

    const { report } = await vitestRun(
      dir,
      'fastify',
      ['-t', 'fastify'],
      blockedEnv,
    );
    expect(failures(report)).toEqual([]);
    expect(passed(report)).toEqual([
      'app.e2e-spec.ts > heartbeat on fastify (e2e) answers bad input with one ERROR line',
      'app.e2e-spec.ts > heartbeat on fastify (e2e) keeps the registry in the store the test installed',
      'app.e2e-spec.ts > heartbeat on fastify (e2e) registers with hb_init and answers T',
      'app.e2e-spec.ts > heartbeat on fastify (e2e) reports a worker that stopped pinging, on the clock the test moves',
    ]);
    const lines = readFileSync(log, 'utf8').trim().split('\n');
    // The hook was active in the worker that ran the tests.
    expect(lines).toContainEqual(
      expect.stringMatching(/^active \d+ .*vitest.*workers/),
    );
    // Neither the app, nor nestjs-heartbeat, nor @nestjs/core asked for Express. The one caller
    // allowed is @nestjs/testing: compile() preloads @nestjs/platform-express when it can, so that
    // createNestApplication() can default to it, and carries on without it (the tests passed).
    const callers = lines
      .filter((line) => line.startsWith('blocked'))
      .map((line) => line.replace(/^blocked \S+ from /, ''));
    expect(
      callers.filter(
        (caller) =>
          !caller.endsWith('/node_modules/@nestjs/testing/testing-module.js'),
      ),
    ).toEqual([]);
  }, 300_000);
});
