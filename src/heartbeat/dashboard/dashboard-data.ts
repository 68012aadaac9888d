import { toAppView, type HeartbeatAppView } from '../core/app-view.js';
import { HeartbeatError } from '../core/errors.js';
import { HeartbeatMessages } from '../core/messages.js';
import type { HeartbeatAppStatus, HeartbeatState } from '../core/status.js';
import type { HeartbeatRegistry } from '../engine/heartbeat-registry.js';

/**
 * One application as the dashboard shows it: the JSON API's shape (`GET apps/:id`), times in
 * ISO 8601.
 * @publicApi
 */
export type DashboardAppView = HeartbeatAppView;

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
 * The board's default view (most overdue first, or by state, with no filter) reads the counts and
 * the `limit` most overdue from the store's indexes: bounded by `limit`, whatever the size of the
 * registry. Any other order, and a filter, walk the registry a store batch at a time, keeping
 * the best `limit` in a bounded heap and letting other work run between batches, so the event
 * loop is never held for the walk (its total cost grows with the registry; the page asks for it
 * only when an operator sorts or searches).
 *
 * @publicApi
 */
export async function firstPage(
  registry: HeartbeatRegistry,
  query: DashboardQuery,
): Promise<DashboardPage> {
  const { now, counts, total } = await countStates(registry);
  const compare = comparator(query.sort);
  let apps: HeartbeatAppStatus[];
  let matched = total;
  if (query.q === '' && (query.sort === '-od' || query.sort === '-state')) {
    apps = (await registry.mostOverdue(query.limit)).sort(compare);
  } else {
    ({ apps, matched } = await walk(registry, query, compare));
  }
  return {
    now,
    counts,
    total,
    matched,
    apps: apps.map((status) => dashboardView(status, registry)),
    limit: query.limit,
    q: query.q,
    sort: query.sort,
  };
}

/** The best `limit` matching apps of a walk of the whole registry, and how many matched. */
async function walk(
  registry: HeartbeatRegistry,
  query: DashboardQuery,
  compare: Compare,
): Promise<{ apps: HeartbeatAppStatus[]; matched: number }> {
  const needle = query.q.toLowerCase();
  let kept: HeartbeatAppStatus[] = [];
  let matched = 0;
  for await (const batch of registry.pages()) {
    const matching =
      needle === ''
        ? batch
        : batch.filter((status) =>
            status.appId.toLowerCase().includes(needle),
          );
    matched += matching.length;
    if (matching.length > 0) {
      kept = best([...kept, ...matching], query.limit, compare);
    }
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return { apps: kept, matched };
}

/**
 * Live applications per state and in all, for the `counts` events of the stream: the store's
 * counts, never a read of the records.
 * @internal
 */
export async function countStates(
  registry: HeartbeatRegistry,
): Promise<Pick<DashboardPage, 'now' | 'counts' | 'total'>> {
  const { total, OK, WARNING, CRITICAL } = await registry.counts();
  return {
    now: new Date(registry.now()).toISOString(),
    counts: { OK, WARNING, CRITICAL },
    total,
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
  return toAppView(status, registry.options.toleranceMs);
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
