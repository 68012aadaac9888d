import { HeartbeatError } from '../core/errors.js';
import { HeartbeatMessages } from '../core/messages.js';
import type { HeartbeatAppStatus, HeartbeatState } from '../core/status.js';
import type { HeartbeatRegistry } from '../engine/heartbeat-registry.js';

/**
 * One application as the dashboard shows it: the JSON API's shape (`GET apps/:id`), times in
 * ISO 8601.
 * @publicApi
 */
export interface DashboardAppView {
  readonly id: string;
  readonly state: HeartbeatState;
  /** The overdue ratio `(now - lastSeen) / delayMs`. */
  readonly od: number;
  /** The TIMEOUT the client last sent, in milliseconds. */
  readonly timeoutMs: number;
  /** `T = TIMEOUT + tolerance`. */
  readonly delayMs: number;
  readonly lastSeen: string;
  readonly registeredAt: string;
  /** When the record will be dropped unless a heartbeat arrives. */
  readonly dropsAt: string;
}

/** Live applications per state. @publicApi */
export type DashboardCounts = Record<HeartbeatState, number>;

/** How the dashboard orders its page: a column, `-` first for descending. @publicApi */
export type DashboardSort = (typeof DASHBOARD_SORTS)[number];

/** Every accepted `sort`; `-od` (most overdue first) is the default. @publicApi */
export const DASHBOARD_SORTS = [
  '-od',
  'od',
  'id',
  '-id',
  '-state',
  'state',
  'lastSeen',
  '-lastSeen',
] as const;

/** The page the dashboard asks for by default. @publicApi */
export const DASHBOARD_DEFAULT_PAGE_SIZE = 200;

/** What `GET dashboard/apps` reads from its query. @publicApi */
export interface DashboardQuery {
  /** Most applications returned. */
  readonly limit: number;
  /** Case-insensitive part of the ID; empty matches every application. */
  readonly q: string;
  readonly sort: DashboardSort;
}

/** The answer of `GET dashboard/apps`. @publicApi */
export interface DashboardPage {
  /** The registry's time when the page was read (ISO 8601). */
  readonly now: string;
  /** Live applications per state, over the whole registry. */
  readonly counts: DashboardCounts;
  /** Live applications in the registry. */
  readonly total: number;
  /** Applications whose ID matches `q` (all of them without one). */
  readonly matched: number;
  /** At most `limit` matching applications, in `sort` order. */
  readonly apps: DashboardAppView[];
  readonly limit: number;
  readonly q: string;
  readonly sort: DashboardSort;
}

/** Limits the dashboard's query reading enforces. @internal */
export interface DashboardQueryLimits {
  readonly dashboardMaxPageSize: number;
  readonly maxAppIdLength: number;
}

const STATE_RANK: Record<HeartbeatState, number> = {
  OK: 0,
  WARNING: 1,
  CRITICAL: 2,
};

/**
 * Reads `limit`, `q` and `sort` from a query string (form-encoded, as the page's
 * `URLSearchParams` writes it). Throws an `invalid` {@link HeartbeatError} naming what is wrong.
 * @internal
 */
export function parseDashboardQuery(
  rawQuery: string,
  limits: DashboardQueryLimits,
): DashboardQuery {
  const params = new URLSearchParams(rawQuery);
  const rawLimit = params.get('limit');
  let limit = Math.min(
    DASHBOARD_DEFAULT_PAGE_SIZE,
    limits.dashboardMaxPageSize,
  );
  if (rawLimit !== null && rawLimit !== '') {
    limit = Number(rawLimit);
    if (
      !/^[0-9]+$/.test(rawLimit) ||
      limit < 1 ||
      limit > limits.dashboardMaxPageSize
    ) {
      throw new HeartbeatError(
        'invalid',
        HeartbeatMessages.invalidPageLimit(
          rawLimit,
          limits.dashboardMaxPageSize,
        ),
      );
    }
  }
  const q = (params.get('q') ?? '').trim();
  if (q.length > limits.maxAppIdLength) {
    throw new HeartbeatError(
      'invalid',
      HeartbeatMessages.filterTooLong(q.length, limits.maxAppIdLength),
    );
  }
  const sort = params.get('sort') || '-od';
  if (!(DASHBOARD_SORTS as readonly string[]).includes(sort)) {
    throw new HeartbeatError(
      'invalid',
      HeartbeatMessages.invalidSort(sort, DASHBOARD_SORTS),
    );
  }
  return { limit, q, sort: sort as DashboardSort };
}

/**
 * The dashboard's one read: counts per state and the first `limit` applications matching `q` in
 * `sort` order. Every read the dashboard makes goes through this module, so the page never
 * depends on how the registry is stored.
 *
 * It is built on `registry.list()`: one pass over the live applications counts, filters and keeps
 * the best `limit` in a bounded heap (O(n log limit), never a sort of the whole registry); only
 * the page crosses the wire. It switches to the store's paged reads (counts per state, the k most
 * overdue, pages by cursor, ID search) once the registry offers them, without changing its
 * callers or its answer.
 *
 * @publicApi
 */
export async function firstPage(
  registry: HeartbeatRegistry,
  query: DashboardQuery,
): Promise<DashboardPage> {
  const live = await registry.list();
  const now = registry.now();
  const counts: DashboardCounts = { OK: 0, WARNING: 0, CRITICAL: 0 };
  const needle = query.q.toLowerCase();
  const matching: HeartbeatAppStatus[] = [];
  for (const status of live) {
    counts[status.state]++;
    if (needle === '' || status.appId.toLowerCase().includes(needle)) {
      matching.push(status);
    }
  }
  const apps = best(matching, query.limit, comparator(query.sort));
  return {
    now: new Date(now).toISOString(),
    counts,
    total: live.length,
    matched: matching.length,
    apps: apps.map((status) => dashboardView(status, registry)),
    limit: query.limit,
    q: query.q,
    sort: query.sort,
  };
}

/**
 * Live applications per state and in all, for the `counts` events of the stream.
 * @internal
 */
export async function countStates(
  registry: HeartbeatRegistry,
): Promise<Pick<DashboardPage, 'now' | 'counts' | 'total'>> {
  const live = await registry.list();
  const counts: DashboardCounts = { OK: 0, WARNING: 0, CRITICAL: 0 };
  for (const status of live) counts[status.state]++;
  return {
    now: new Date(registry.now()).toISOString(),
    counts,
    total: live.length,
  };
}

/**
 * An application's view, or `null` when it is unknown (dropped, said goodbye, never seen).
 * @internal
 */
export async function appView(
  registry: HeartbeatRegistry,
  appId: string,
): Promise<DashboardAppView | null> {
  const status = await registry.get(appId);
  return status ? dashboardView(status, registry) : null;
}

/** @internal */
export function dashboardView(
  status: HeartbeatAppStatus,
  registry: Pick<HeartbeatRegistry, 'options'>,
): DashboardAppView {
  return {
    id: status.appId,
    state: status.state,
    od: status.od,
    timeoutMs: status.delayMs - registry.options.toleranceMs,
    delayMs: status.delayMs,
    lastSeen: new Date(status.lastSeen).toISOString(),
    registeredAt: new Date(status.registeredAt).toISOString(),
    dropsAt: new Date(status.expiresAt).toISOString(),
  };
}

type Compare = (a: HeartbeatAppStatus, b: HeartbeatAppStatus) => number;

/**
 * The order of a sort key. Ties fall back to the ID, so the server and the page (which applies
 * the same rules to the rows it holds) agree on every order. IDs compare by code unit.
 * @internal
 */
export function comparator(sort: DashboardSort): Compare {
  const byId: Compare = (a, b) =>
    a.appId < b.appId ? -1 : a.appId > b.appId ? 1 : 0;
  const descending = sort.startsWith('-');
  const sign = descending ? -1 : 1;
  switch (sort.replace('-', '')) {
    case 'id':
      return (a, b) => sign * byId(a, b);
    case 'state':
      return (a, b) =>
        sign * (STATE_RANK[a.state] - STATE_RANK[b.state]) ||
        b.od - a.od ||
        byId(a, b);
    case 'lastSeen':
      return (a, b) => sign * (a.lastSeen - b.lastSeen) || byId(a, b);
    default:
      return (a, b) => sign * (a.od - b.od) || byId(a, b);
  }
}

/**
 * The first `k` items in `compare` order, in O(n log k): a heap of the best `k` so far whose root
 * is the worst of them, the one the next better item replaces.
 * @internal
 */
export function best<T>(
  items: readonly T[],
  k: number,
  compare: (a: T, b: T) => number,
): T[] {
  if (k <= 0) return [];
  if (items.length <= k) return [...items].sort(compare);
  const heap: T[] = [];
  // Heap order: a parent sorts after (is worse than) its children.
  const worse = (i: number, j: number) => compare(heap[i]!, heap[j]!) > 0;
  const swap = (i: number, j: number) => {
    [heap[i], heap[j]] = [heap[j]!, heap[i]!];
  };
  for (const item of items) {
    if (heap.length < k) {
      heap.push(item);
      for (let i = heap.length - 1; i > 0;) {
        const parent = (i - 1) >> 1;
        if (!worse(i, parent)) break;
        swap(i, parent);
        i = parent;
      }
      continue;
    }
    if (compare(item, heap[0]!) >= 0) continue;
    heap[0] = item;
    for (let i = 0; ;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let top = i;
      if (left < heap.length && worse(left, top)) top = left;
      if (right < heap.length && worse(right, top)) top = right;
      if (top === i) break;
      swap(i, top);
      i = top;
    }
  }
  return heap.sort(compare);
}
