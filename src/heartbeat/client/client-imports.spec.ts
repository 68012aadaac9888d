import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// nestjs-heartbeat/client must load where no @nestjs/* package is installed: no static import of
// Nest (nor of the server side, which needs it) anywhere in this folder. The module file loads
// Nest's Logger with a dynamic import, from a provider factory only Nest ever runs.
const STATIC_IMPORT = /^\s*(?:import|export)\b[^;]*?from\s+'([^']+)'/gm;

describe('client/ imports', () => {
  const dir = dirname(fileURLToPath(import.meta.url));
  const sources = readdirSync(dir).filter(
    (f) => f.endsWith('.ts') && !f.endsWith('.spec.ts'),
  );

  it.each(sources)('%s imports no @nestjs/* package statically', (file) => {
    const source = readFileSync(join(dir, file), 'utf8');
    const imports = [...source.matchAll(STATIC_IMPORT)].map((m) => m[1]);
    expect(imports.filter((i) => !/^\.\/[\w.-]+\.js$/.test(i!))).toEqual([]);
  });
});
