import { readFileSync } from 'node:fs';
import { DASHBOARD_ASSETS_DIR } from './dashboard-assets.js';

// WCAG 2.2: text 4.5:1 (AA, 1.4.3); bars, marks and the focus ring 3:1 (AA, 1.4.11).
const TEXT: ReadonlyArray<readonly [string, string]> = [
  ['fg', 'bg'],
  ['muted', 'bg'],
  ['fg', 'head-bg'],
  ['muted', 'head-bg'],
  ['accent', 'bg'],
  ['button-fg', 'button-bg'],
  ['ok-fg', 'ok-bg'],
  ['warn-fg', 'warn-bg'],
  ['crit-fg', 'crit-bg'],
  ['paused-fg', 'paused-bg'],
  ['banner-fg', 'banner-bg'],
];
const GRAPHICS: ReadonlyArray<readonly [string, string]> = [
  ['ok-bar', 'track'],
  ['warn-bar', 'track'],
  ['crit-bar', 'track'],
  ['mark', 'track'],
  ['focus', 'bg'],
  ['focus', 'head-bg'],
  ['ok-bar', 'bg'],
];

const css = readFileSync(
  new URL('dashboard.css', DASHBOARD_ASSETS_DIR),
  'utf8',
);

function palette(block: string): Map<string, string> {
  return new Map(
    [...block.matchAll(/--([\w-]+):\s*(#[0-9a-f]{6})\s*;/gi)].map((m) => [
      m[1]!,
      m[2]!,
    ]),
  );
}

const light = palette(css.slice(0, css.indexOf('@media')));
const dark = palette(
  css.slice(css.indexOf('@media (prefers-color-scheme: dark)')),
);

function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
}

function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi! + 0.05) / (lo! + 0.05);
}

describe.each([
  ['light', light],
  ['dark', dark],
])('dashboard colours, %s theme', (_theme, colours) => {
  it('defines every colour it uses', () => {
    for (const [a, b] of [...TEXT, ...GRAPHICS]) {
      expect(colours.get(a), a).toBeDefined();
      expect(colours.get(b), b).toBeDefined();
    }
  });

  it.each(TEXT)('text %s on %s: at least 4.5:1', (fg, bg) => {
    expect(contrast(colours.get(fg)!, colours.get(bg)!)).toBeGreaterThanOrEqual(
      4.5,
    );
  });

  it.each(GRAPHICS)('graphic %s on %s: at least 3:1', (fg, bg) => {
    expect(contrast(colours.get(fg)!, colours.get(bg)!)).toBeGreaterThanOrEqual(
      3,
    );
  });
});

it('computes contrast as WCAG does', () => {
  expect(contrast('#000000', '#ffffff')).toBeCloseTo(21, 5);
  expect(contrast('#767676', '#ffffff')).toBeCloseTo(4.54, 2);
});
