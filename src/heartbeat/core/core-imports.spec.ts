import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// The core stays framework-free: no Nest, no platform, no I/O module.
const FORBIDDEN =
  /from '(@nestjs\/[^']+|express|fastify|ioredis|prom-client|node:(fs|http|net|child_process))'/;

describe('core/ imports', () => {
  const dir = dirname(fileURLToPath(import.meta.url));
  const sources = readdirSync(dir).filter(
    (f) => f.endsWith('.ts') && !f.endsWith('.spec.ts'),
  );

  it.each(sources)('%s imports no framework or I/O module', (file) => {
    expect(readFileSync(join(dir, file), 'utf8')).not.toMatch(FORBIDDEN);
  });
});
