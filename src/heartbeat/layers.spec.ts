import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// Imports point one way: interfaces (type-only contracts) <- core <- internal <- stores <- engine <- http (and dashboard) <- faces.
// Each layer may import the layers named here and nothing else of the package; every layer but
// the Nest face (and the optional Nest-only integrations) is framework-free.
const LAYERS: Record<string, { uses: string[]; nest: boolean }> = {
  core: { uses: ['interfaces'], nest: false },
  interfaces: { uses: [], nest: false },
  internal: { uses: [], nest: false },
  stores: { uses: ['core', 'interfaces', 'internal'], nest: false },
  engine: {
    uses: ['core', 'interfaces', 'internal', 'stores'],
    nest: false,
  },
  http: { uses: ['core', 'interfaces', 'engine'], nest: false },
  // The live dashboard: a second framework-free HTTP face beside the protocol handler, reusing
  // its plain-text writer; the front door and the Nest controllers call it.
  dashboard: {
    uses: ['core', 'interfaces', 'engine', 'http'],
    nest: false,
  },
  express: { uses: ['core', 'interfaces', 'engine', 'http'], nest: false },
  redis: { uses: ['core', 'interfaces', 'engine'], nest: false },
  nest: {
    uses: ['core', 'interfaces', 'stores', 'engine', 'http', 'dashboard'],
    nest: true,
  },
  testing: { uses: ['core', 'interfaces', 'nest'], nest: false },
  metrics: { uses: ['core', 'engine'], nest: false },
  terminus: { uses: ['core', 'engine'], nest: true },
  // The client side speaks the protocol to any server: it shares nothing with the server's layers,
  // and loads Nest only dynamically, inside its module's factories.
  client: { uses: [], nest: false },
};

// No I/O module in the pure core.
const CORE_FORBIDDEN = /from '(node:(fs|http|net|child_process)|ioredis|rxjs)'/;

const root = dirname(fileURLToPath(import.meta.url));

function sources(layer: string): string[] {
  return readdirSync(join(root, layer), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.spec.ts'))
    .map((f) => join(layer, f));
}

function importsOf(file: string): string[] {
  const text = readFileSync(join(root, file), 'utf8');
  return [...text.matchAll(/from '([^']+)'/g)].map((m) => m[1]!);
}

describe('layers', () => {
  it('every folder is a known layer', () => {
    const folders = readdirSync(root, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name)
      .sort();
    expect(folders).toEqual(Object.keys(LAYERS).sort());
  });

  describe.each(Object.entries(LAYERS))('%s/', (layer, rule) => {
    it.each(sources(layer))('%s imports only what its layer may', (file) => {
      for (const specifier of importsOf(file)) {
        if (specifier.startsWith('@nestjs/')) {
          expect.soft(rule.nest, `${file}: ${specifier}`).toBe(true);
        }
        if (!specifier.startsWith('.')) continue;
        const target = join(dirname(file), specifier).split('/')[0]!;
        if (target === layer) continue;
        expect.soft(rule.uses, `${file}: ${specifier}`).toContain(target);
      }
      if (layer === 'core') {
        expect(readFileSync(join(root, file), 'utf8')).not.toMatch(
          CORE_FORBIDDEN,
        );
      }
    });
  });
});
