import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const README = join(import.meta.dirname, '..', '..', 'README.md');

/** The fenced code blocks under each README heading (headings inside code blocks ignored). */
export function readmeSections(): Map<string, string[]> {
  const sections = new Map<string, string[]>();
  let heading = '';
  let block: string[] | undefined;
  for (const line of readFileSync(README, 'utf8').split('\n')) {
    if (block) {
      if (line.startsWith('```')) {
        sections.get(heading)!.push(block.join('\n') + '\n');
        block = undefined;
      } else {
        block.push(line);
      }
    } else if (line.startsWith('```')) {
      block = [];
    } else if (/^#{1,6} /.test(line)) {
      heading = line.replace(/^#+ /, '');
      sections.set(heading, []);
    }
  }
  return sections;
}
