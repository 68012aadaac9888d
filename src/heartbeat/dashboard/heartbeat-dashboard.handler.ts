import type { ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { errorResponse } from '../core/errors.js';
import {
  assertMethod,
  MONITOR_METHODS,
  splitTarget,
} from '../core/protocol.js';
import type { HeartbeatRegistry } from '../engine/heartbeat-registry.js';
import type { HeartbeatLogger } from '../engine/heartbeat.logger.js';
import {
  plainTextHeaders,
  writePlainText,
  type HeartbeatHttpRequest,
} from '../http/plain-text.js';
import {
  acceptsGzip,
  loadDashboardAssets,
  matchesEtag,
  type DashboardAsset,
  type DashboardAssetName,
} from './dashboard-assets.js';
import { firstPage, parseDashboardQuery } from './dashboard-data.js';
import {
  DASHBOARD_READ_BUDGET,
  DASHBOARD_STREAM_DEFAULTS,
  DashboardEventStreams,
} from './dashboard-event.streams.js';

/**
 * What the dashboard serves, relative to its mount path: the page (`/` and `/dashboard`), its
 * stylesheet and script, the first page of applications as JSON and the server-sent event stream.
 * @publicApi
 */
export type DashboardRoute =
  'page' | 'dashboard.css' | 'dashboard.js' | 'dashboard/apps' | 'events';

/** @publicApi */
export interface HeartbeatDashboardHandlerOptions {
  /**
   * Where {@link HeartbeatDashboardHandler.serve} finds the dashboard: the page at `<mountPath>/`
   * and `<mountPath>/dashboard`, the rest below it. Framework routers that match routes
   * themselves call `serveRoute` instead.
   * @default '/'
   */
  readonly mountPath?: string;
}

const ROUTES = new Map<string, DashboardRoute>([
  ['', 'page'],
  ['/', 'page'],
  ['/dashboard', 'page'],
  ['/dashboard.css', 'dashboard.css'],
  ['/dashboard.js', 'dashboard.js'],
  ['/dashboard/apps', 'dashboard/apps'],
  ['/events', 'events'],
]);

/**
 * The page: scripts and styles from this origin only (no inline code of any kind), data and
 * events from this origin only, no frames, forms that go nowhere (the token form is handled by
 * the script), no `<base>`. The icon is a `data:` image.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  'img-src data:',
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const PAGE_HEADERS = [
  'Content-Security-Policy',
  CONTENT_SECURITY_POLICY,
  'X-Frame-Options',
  'DENY',
  'Referrer-Policy',
  'no-referrer',
];

/** Versioned assets (`dashboard.js?v=<hash>`) never change: a year, never revalidated. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

/**
 * The live dashboard over `node:http` types, framework-free like the protocol handler: the page
 * (plain HTML, CSS and an ES module shipped in the package, no build step, no external request),
 * `GET dashboard/apps?limit=&q=&sort=` (counts per state and a bounded first page, JSON) and
 * `GET events` (server-sent events from `registry.events$`). The standalone server's front door
 * and the Nest module's dashboard controller call it.
 *
 * @example
 * const dashboard = new HeartbeatDashboardHandler(registry, console);
 * http.createServer((req, res) => dashboard.serve(req, res) || other(req, res));
 * @publicApi
 */
export class HeartbeatDashboardHandler {
  private readonly mountPath: string;
  private readonly streams: DashboardEventStreams;
  private readonly textHeaders: readonly string[];
  private readonly dataHeaders: readonly string[];
  private assets?: Record<DashboardAssetName, DashboardAsset>;
  /** What the latest first-page read took, in milliseconds. */
  private pageReadMs = 0;

  constructor(
    private readonly registry: HeartbeatRegistry,
    private readonly logger: HeartbeatLogger,
    options: HeartbeatDashboardHandlerOptions = {},
  ) {
    this.mountPath = (options.mountPath ?? '/').replace(/\/+$/, '');
    const { corsOrigin } = registry.options;
    this.textHeaders = [
      ...plainTextHeaders(corsOrigin),
      'X-Content-Type-Options',
      'nosniff',
    ];
    const cors =
      corsOrigin === false ? [] : ['Access-Control-Allow-Origin', corsOrigin];
    this.dataHeaders = [
      'Cache-Control',
      'no-store',
      'X-Content-Type-Options',
      'nosniff',
      ...cors,
    ];
    this.streams = new DashboardEventStreams(registry, logger, {
      ...DASHBOARD_STREAM_DEFAULTS,
      maxStreams: registry.options.dashboardMaxStreams,
      keepAliveMs: registry.options.dashboardKeepAliveMs,
    });
  }

  /** Open event streams. */
  get openStreams(): number {
    return this.streams.size;
  }

  /** The route a request URL names below the mount path, or `undefined`. */
  routeOf(url: string): DashboardRoute | undefined {
    const { path } = splitTarget(url);
    if (this.mountPath !== '' && !path.startsWith(this.mountPath)) {
      return undefined;
    }
    return ROUTES.get(path.slice(this.mountPath.length));
  }

  /**
   * Serves a request when it is one of the dashboard's routes and returns `true`; returns `false`
   * (and writes nothing) otherwise. For `node:http` servers and Connect-style middleware.
   */
  serve(request: HeartbeatHttpRequest, response: ServerResponse): boolean {
    const url = request.url ?? '/';
    const route = this.routeOf(url);
    if (route === undefined) return false;
    if (splitTarget(url).path === this.mountPath) {
      this.redirectToSlash(url, response);
      return true;
    }
    this.serveRoute(route, request, response).catch((error: unknown) =>
      this.logger.debug?.(`dashboard answer not written: ${String(error)}`),
    );
    return true;
  }

  /**
   * Serves a request that a router already matched to `route` (the Nest controller). The query
   * is read from the URL as the client sent it.
   */
  async serveRoute(
    route: DashboardRoute,
    request: HeartbeatHttpRequest,
    response: ServerResponse,
  ): Promise<void> {
    const url = request.originalUrl ?? request.url ?? '/';
    try {
      assertMethod(request.method ?? 'GET', MONITOR_METHODS);
      switch (route) {
        case 'page':
          this.sendAsset('index.html', request, response);
          return;
        case 'dashboard.css':
        case 'dashboard.js':
          this.sendAsset(route, request, response);
          return;
        case 'dashboard/apps':
          await this.sendFirstPage(url, response);
          return;
        case 'events':
          this.openStream(request, response);
          return;
      }
    } catch (error) {
      const failure = errorResponse(error, this.registry.options);
      writePlainText(
        response,
        failure.status,
        failure.body,
        this.textHeaders,
        failure.allow ? [['Allow', failure.allow]] : [],
      );
    }
  }

  /** Ends every event stream and refuses new ones; call before closing the HTTP server. */
  close(): void {
    this.streams.close();
  }

  /**
   * The page links its files relatively (`dashboard.js`, `events`), so that it works under any
   * mount path and behind a proxy that strips a prefix; that needs the page's URL to be
   * `<mount>/` or `<mount>/dashboard`, not the bare `<mount>`. The redirect is relative for the
   * same reason.
   */
  private redirectToSlash(url: string, response: ServerResponse): void {
    const { path, query } = splitTarget(url);
    const location = `${path.slice(path.lastIndexOf('/') + 1)}/${query ? `?${query}` : ''}`;
    writePlainText(response, 308, '', this.textHeaders, [
      ['Location', location],
    ]);
  }

  private sendAsset(
    name: DashboardAssetName,
    request: HeartbeatHttpRequest,
    response: ServerResponse,
  ): void {
    this.assets ??= loadDashboardAssets();
    const asset = this.assets[name];
    const gzip = acceptsGzip(request.headers['accept-encoding']);
    const etag = gzip ? asset.gzipEtag : asset.etag;
    const { query } = splitTarget(request.originalUrl ?? request.url ?? '/');
    const versioned =
      name !== 'index.html' &&
      new URLSearchParams(query).get('v') === asset.version;
    const headers = [
      'Content-Type',
      asset.contentType,
      'Cache-Control',
      versioned ? IMMUTABLE : 'no-cache',
      'ETag',
      etag,
      'Vary',
      'Accept-Encoding',
      'X-Content-Type-Options',
      'nosniff',
      ...(name === 'index.html' ? PAGE_HEADERS : []),
    ];
    if (matchesEtag(request.headers['if-none-match'], etag)) {
      response.writeHead(304, headers);
      response.end();
      return;
    }
    const body = gzip ? asset.gzip : asset.body;
    if (gzip) headers.push('Content-Encoding', 'gzip');
    headers.push('Content-Length', String(body.length));
    response.writeHead(200, headers);
    response.end(body);
  }

  private async sendFirstPage(
    url: string,
    response: ServerResponse,
  ): Promise<void> {
    const query = parseDashboardQuery(
      splitTarget(url).query,
      this.registry.options,
    );
    const started = performance.now();
    const page = await firstPage(this.registry, query);
    this.pageReadMs = performance.now() - started;
    const body = JSON.stringify({
      ...page,
      thresholds: {
        warn: this.registry.options.warnThreshold,
        crit: this.registry.options.critThreshold,
        drop: this.registry.options.dropThreshold,
      },
      refreshMs: this.refreshMs(),
    });
    response.writeHead(200, [
      'Content-Type',
      'application/json; charset=utf-8',
      ...this.dataHeaders,
      'Content-Length',
      String(Buffer.byteLength(body)),
    ]);
    response.end(body);
  }

  /**
   * How soon each open page should read its first page again: `dashboardRefreshMs`, or later
   * when reading it is expensive, so that all open pages together spend at most 1/20 of the
   * server's time on it.
   */
  private refreshMs(): number {
    const pages = Math.max(1, this.streams.size);
    return Math.max(
      this.registry.options.dashboardRefreshMs,
      Math.ceil(this.pageReadMs * DASHBOARD_READ_BUDGET * pages),
    );
  }

  private openStream(
    request: HeartbeatHttpRequest,
    response: ServerResponse,
  ): void {
    const headers = [
      'Content-Type',
      'text/event-stream; charset=utf-8',
      ...this.dataHeaders,
      // nginx buffers responses by default; a buffered event stream is no stream.
      'X-Accel-Buffering',
      'no',
    ];
    if ((request.method ?? 'GET').toUpperCase() === 'HEAD') {
      response.writeHead(200, headers);
      response.end();
      return;
    }
    this.streams.open(response, headers);
  }
}
