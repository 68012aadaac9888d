import { execFile } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { childEnv } from './child-env.js';

const execFileAsync = promisify(execFile);

/** The repository root. */
export const root = join(import.meta.dirname, '..', '..');

/**
 * The environment of an `npm` (or `npx`) child: the test environment of every child (`PATH`,
 * `HOME` for npm's cache and user configuration, `TMPDIR`) plus the settings npm itself may have
 * been given (cache, configuration files, registry, proxy, CA), nothing else of the runner's.
 */
export function npmEnv(
  vars: Readonly<Record<string, string>> = {},
): NodeJS.ProcessEnv {
  const settings: Record<string, string> = {};
  for (const name of [
    'npm_config_cache',
    'npm_config_userconfig',
    'npm_config_globalconfig',
    'npm_config_registry',
    'HTTP_PROXY',
    'HTTPS_PROXY',
    'NO_PROXY',
    'http_proxy',
    'https_proxy',
    'no_proxy',
    'NODE_EXTRA_CA_CERTS',
  ]) {
    const value = process.env[name];
    if (value !== undefined) settings[name] = value;
  }
  return childEnv({ ...settings, ...vars });
}

export interface RunResult {
  readonly stdout: string;
  readonly stderr: string;
  /** Wall time of the command, in milliseconds (reported, never asserted). */
  readonly ms: number;
}

/**
 * Runs a command to completion with an explicit environment. A non-zero exit rejects with the
 * command line and the end of its output.
 */
export async function run(
  command: string,
  args: readonly string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; allowFailure?: boolean },
): Promise<RunResult & { code: number }> {
  const started = performance.now();
  try {
    const { stdout, stderr } = await execFileAsync(command, args, {
      cwd: options.cwd,
      env: options.env,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    return { stdout, stderr, code: 0, ms: performance.now() - started };
  } catch (error) {
    const failure = error as Error & {
      code?: number | string;
      stdout?: string;
      stderr?: string;
    };
    if (options.allowFailure && typeof failure.code === 'number') {
      return {
        stdout: failure.stdout ?? '',
        stderr: failure.stderr ?? '',
        code: failure.code,
        ms: performance.now() - started,
      };
    }
    const tail = `${failure.stdout ?? ''}\n${failure.stderr ?? ''}`
      .trim()
      .split('\n')
      .slice(-40)
      .join('\n');
    throw new Error(
      `${command} ${args.join(' ')} (in ${options.cwd}) failed: ${failure.message}\n${tail}`,
    );
  }
}

/** Newest modification time under `path` (files and folders, so a deleted file counts too). */
function newest(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let latest = stat.mtimeMs;
  for (const entry of readdirSync(path)) {
    latest = Math.max(latest, newest(join(path, entry)));
  }
  return latest;
}

/** Oldest modification time of the files under `path`. */
function oldestFile(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let earliest = Infinity;
  for (const entry of readdirSync(path)) {
    earliest = Math.min(earliest, oldestFile(join(path, entry)));
  }
  return earliest;
}

/** What feeds `npm run build`: the sources and the compiler configuration. */
const BUILD_INPUTS = [
  'src',
  'tsconfig.json',
  'tsconfig.build.json',
  'nest-cli.json',
];

/**
 * True when `dist/` was written after every build input last changed (the build deletes and
 * rewrites the whole folder, so its oldest file is the time of the last build).
 */
export function isDistCurrent(): boolean {
  const dist = join(root, 'dist');
  if (!existsSync(join(dist, 'heartbeat', 'index.js'))) return false;
  const inputs = Math.max(
    ...BUILD_INPUTS.filter((input) => existsSync(join(root, input))).map(
      (input) => newest(join(root, input)),
    ),
  );
  return oldestFile(dist) > inputs;
}

/** What the repository holds besides the package's own inputs, left out of a private build. */
const NOT_COPIED = new Set([
  '.git',
  'node_modules',
  'dist',
  '.test-dist',
  '.bench',
  'coverage',
  'test',
  'bench',
]);

export interface PackedPackage {
  /** Absolute path of the `.tgz`. */
  readonly tarball: string;
  /** The files in it, relative to the package root. */
  readonly files: readonly string[];
  /** Whether the repository's `dist/` was packed as it is, or a private copy was built. */
  readonly built: 'dist was current' | 'built privately';
  readonly ms: number;
}

/**
 * `npm pack`s the package into `destination`, as publishing would ship it.
 *
 * When the repository's `dist/` is current (CI builds before it tests), that is what gets packed,
 * with `--ignore-scripts` so no prepack step rewrites a folder other suites may be reading.
 * Otherwise the package is built in a private copy of the repository (its `node_modules` linked,
 * its own build script, then `npm pack`, which runs a `prepack` if there is one), so a stale or
 * missing `dist/` is never what is tested and the repository's own `dist/` is never touched.
 */
export async function packPackage(destination: string): Promise<PackedPackage> {
  const started = performance.now();
  const env = npmEnv();
  let cwd = root;
  let packArgs = ['pack', '--ignore-scripts'];
  const current = isDistCurrent();
  if (!current) {
    cwd = join(destination, 'package-build');
    mkdirSync(cwd);
    for (const entry of readdirSync(root)) {
      // Without a stale incremental build state, which could make the build skip its output.
      if (!NOT_COPIED.has(entry) && !entry.endsWith('.tsbuildinfo')) {
        cpSync(join(root, entry), join(cwd, entry), { recursive: true });
      }
    }
    symlinkSync(join(root, 'node_modules'), join(cwd, 'node_modules'), 'dir');
    const scripts = (
      JSON.parse(readFileSync(join(cwd, 'package.json'), 'utf8')) as {
        scripts?: Record<string, string>;
      }
    ).scripts;
    if (!scripts?.prepack && !scripts?.prepare) {
      await run('npm', ['run', 'build'], { cwd, env });
    }
    packArgs = ['pack'];
  }
  const { stdout } = await run(
    'npm',
    [...packArgs, '--json', '--pack-destination', destination],
    { cwd, env },
  );
  // A prepack build may print before npm's JSON, which starts on a line of its own.
  const json = stdout.slice(stdout.search(/^\[/m));
  const [packed] = JSON.parse(json) as {
    filename: string;
    files: { path: string }[];
  }[];
  if (!packed) throw new Error(`npm pack printed no package: ${stdout}`);
  return {
    tarball: join(destination, packed.filename),
    files: packed.files.map((file) => file.path).sort(),
    built: current ? 'dist was current' : 'built privately',
    ms: performance.now() - started,
  };
}
