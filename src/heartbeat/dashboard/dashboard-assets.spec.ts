import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import {
  acceptsGzip,
  DASHBOARD_ASSETS_DIR,
  loadDashboardAssets,
  matchesEtag,
} from './dashboard-assets.js';

const source = (name: string) =>
  readFileSync(new URL(name, DASHBOARD_ASSETS_DIR), 'utf8');

describe('dashboard assets', () => {
  const assets = loadDashboardAssets();

  it('links the stylesheet and the script by content hash', () => {
    const html = assets['index.html'].body.toString('utf8');
    expect(html).toContain(
      `<link rel="stylesheet" href="dashboard.css?v=${assets['dashboard.css'].version}" />`,
    );
    expect(html).toContain(
      `<script type="module" src="dashboard.js?v=${assets['dashboard.js'].version}"></script>`,
    );
  });

  it('gzips each file to the same bytes and tags each representation', () => {
    for (const asset of Object.values(assets)) {
      expect(gunzipSync(asset.gzip).equals(asset.body)).toBe(true);
      expect(asset.etag).toMatch(/^"[\w-]{16}"$/);
      expect(asset.gzipEtag).toBe(`${asset.etag.slice(0, -1)}-gz"`);
    }
    expect(assets['dashboard.js'].contentType).toBe(
      'text/javascript; charset=utf-8',
    );
  });

  // The Content-Security-Policy allows no inline code; the page must not need any.
  it('has no inline script, style or event handler', () => {
    const html = source('index.html');
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/i);
    expect(html).not.toMatch(/<style/i);
    expect(html).not.toMatch(/\sstyle=/i);
    expect(html).not.toMatch(/\son[a-z]+=/i);
    expect(html).not.toMatch(/javascript:/i);
  });

  it('asks no other origin for anything and never writes markup from data', () => {
    for (const name of ['index.html', 'dashboard.css', 'dashboard.js']) {
      // The icon's SVG namespace is a name, not an address anything fetches.
      const text = source(name).replace(
        "xmlns='http://www.w3.org/2000/svg'",
        '',
      );
      expect(text, name).not.toMatch(/(https?:)?\/\/[a-z0-9.-]+\.[a-z]/i);
    }
    const js = source('dashboard.js');
    expect(js).not.toMatch(
      /innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function/,
    );
  });

  it('stays small: under 48 KiB as written, under 16 KiB gzipped', () => {
    const raw = Object.values(assets).reduce((n, a) => n + a.body.length, 0);
    const gzipped = Object.values(assets).reduce(
      (n, a) => n + a.gzip.length,
      0,
    );
    expect(raw).toBeLessThan(48 * 1024);
    expect(gzipped).toBeLessThan(16 * 1024);
  });
});

describe('matchesEtag', () => {
  it.each([
    [undefined, false],
    ['"abc"', true],
    ['W/"abc"', true],
    ['"x", "abc"', true],
    ['*', true],
    ['"abcd"', false],
    [['"x"', '"abc"'], true],
  ])('%j', (header, expected) => {
    expect(matchesEtag(header, '"abc"')).toBe(expected);
  });
});

describe('acceptsGzip', () => {
  it.each([
    [undefined, false],
    ['gzip, deflate, br', true],
    ['br;q=1.0, gzip;q=0.8', true],
    ['gzip;q=0', false],
    ['*', true],
    ['identity', false],
    ['x-gzip', false],
  ])('%j', (header, expected) => {
    expect(acceptsGzip(header)).toBe(expected);
  });
});
