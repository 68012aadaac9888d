import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { childEnv } from './child-env.js';

const root = join(import.meta.dirname, '..', '..');

/**
 * Compiles the standalone server into a private folder inside the repository (so its imports
 * resolve from node_modules), with the dashboard's files, and returns the path of its `main.js`. Private, so parallel runs and
 * `npm run build` never step on each other.
 */
export function buildStandalone(): { main: string; cleanup: () => void } {
  const outDir = join(root, '.test-dist', `${process.pid}-${Date.now()}`);
  mkdirSync(outDir, { recursive: true });
  execFileSync(
    process.execPath,
    [
      join(root, 'node_modules', 'typescript', 'bin', 'tsc'),
      '-p',
      join(root, 'tsconfig.build.json'),
      '--outDir',
      outDir,
      '--incremental',
      'false',
      '--sourceMap',
      'false',
    ],
    { cwd: root, stdio: 'pipe', env: childEnv() },
  );
  // What `nest build` copies besides the compiled code (nest-cli.json `assets`).
  const assets = join('heartbeat', 'dashboard', 'assets');
  cpSync(join(root, 'src', assets), join(outDir, assets), { recursive: true });
  return {
    main: join(outDir, 'main.js'),
    cleanup: () => rmSync(outDir, { recursive: true, force: true }),
  };
}

/** A TCP port that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}
