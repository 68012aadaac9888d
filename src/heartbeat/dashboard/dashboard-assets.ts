import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

/** The files of the page, as served. @internal */
export type DashboardAssetName =
  'index.html' | 'dashboard.css' | 'dashboard.js';

/** One file of the page, ready to send. @internal */
export interface DashboardAsset {
  readonly contentType: string;
  readonly body: Buffer;
  /** The same bytes gzipped, sent to clients that accept it. */
  readonly gzip: Buffer;
  /** A strong validator of `body` (quoted). */
  readonly etag: string;
  /** The validator of `gzip`: another representation, another tag. */
  readonly gzipEtag: string;
  /** A short content hash: the page links `dashboard.js?v=<version>`, which never changes. */
  readonly version: string;
}

const CONTENT_TYPES: Record<DashboardAssetName, string> = {
  'index.html': 'text/html; charset=utf-8',
  'dashboard.css': 'text/css; charset=utf-8',
  'dashboard.js': 'text/javascript; charset=utf-8',
};

/** Where the page's files are shipped: beside this module, in `src/` and in `dist/` alike. */
export const DASHBOARD_ASSETS_DIR = new URL('./assets/', import.meta.url);

/**
 * Reads the page's three files once. The HTML links the stylesheet and the script with their
 * content hash (`dashboard.css?v=1a2b3c4d5e6f`), so those can be cached for a year while a new
 * version of the package is fetched at once; the HTML itself is revalidated by its ETag.
 * @internal
 */
export function loadDashboardAssets(
  dir: URL = DASHBOARD_ASSETS_DIR,
): Record<DashboardAssetName, DashboardAsset> {
  const read = (name: DashboardAssetName) => readFileSync(new URL(name, dir));
  const css = asset('dashboard.css', read('dashboard.css'));
  const js = asset('dashboard.js', read('dashboard.js'));
  const html = read('index.html')
    .toString('utf8')
    .replace('href="dashboard.css"', `href="dashboard.css?v=${css.version}"`)
    .replace('src="dashboard.js"', `src="dashboard.js?v=${js.version}"`);
  return {
    'index.html': asset('index.html', Buffer.from(html, 'utf8')),
    'dashboard.css': css,
    'dashboard.js': js,
  };
}

function asset(name: DashboardAssetName, body: Buffer): DashboardAsset {
  const version = createHash('sha256')
    .update(body)
    .digest('base64url')
    .slice(0, 16);
  return {
    contentType: CONTENT_TYPES[name],
    body,
    gzip: gzipSync(body, { level: 9 }),
    etag: `"${version}"`,
    gzipEtag: `"${version}-gz"`,
    version,
  };
}

/** Whether an `If-None-Match` header names `etag` (weak comparison, as RFC 9110 asks for GET). */
export function matchesEtag(
  ifNoneMatch: string | string[] | undefined,
  etag: string,
): boolean {
  if (ifNoneMatch === undefined) return false;
  const header = Array.isArray(ifNoneMatch)
    ? ifNoneMatch.join(',')
    : ifNoneMatch;
  if (header.trim() === '*') return true;
  return header
    .split(',')
    .some((candidate) => candidate.trim().replace(/^W\//, '') === etag);
}

/** Whether the client takes gzip (`Accept-Encoding: gzip`, not refused with `q=0`). */
export function acceptsGzip(
  acceptEncoding: string | string[] | undefined,
): boolean {
  const header = Array.isArray(acceptEncoding)
    ? acceptEncoding.join(',')
    : (acceptEncoding ?? '');
  return header.split(',').some((part) => {
    const [coding, ...params] = part.trim().toLowerCase().split(';');
    if (coding !== 'gzip' && coding !== '*') return false;
    return !params.some((p) => /^\s*q=0(\.0*)?\s*$/.test(p));
  });
}
