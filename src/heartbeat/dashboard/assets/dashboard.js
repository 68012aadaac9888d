// Heartbeat dashboard: one ES module, no build step, no dependency, no request to another origin.
// It holds the first page the server sends (bounded) and applies the changes the event stream
// reports; it never holds the whole registry. Application IDs are only ever set as text.

const TOKEN_KEY = 'heartbeat.token';
const RANK = { OK: 0, WARNING: 1, CRITICAL: 2 };
const DEFAULT_DIRECTION = { id: '', state: '-', od: '-', lastSeen: '' };
const CAPTIONS = {
  id: 'by ID',
  state: 'by state',
  od: 'by overdue ratio',
  lastSeen: 'by last heartbeat',
};
const EVENTS = [
  'heartbeat.registered',
  'heartbeat.state-changed',
  'heartbeat.dropped',
  'heartbeat.deregistered',
  'heartbeat.paused',
  'heartbeat.resumed',
];

const $ = (id) => document.getElementById(id);
const ui = {
  rows: $('rows'),
  table: $('apps'),
  caption: $('caption'),
  banner: $('banner'),
  connection: $('connection'),
  shown: $('shown'),
  empty: $('empty'),
  message: $('message'),
  filter: $('filter'),
  pauseFor: $('pause-for'),
  tokenForm: $('token-form'),
  tokenReason: $('token-reason'),
  token: $('token'),
  forgetToken: $('forget-token'),
};

const view = {
  sort: '-od',
  q: '',
  limit: 200,
  /** id -> { app, asOf, tr, cells } */
  rows: new Map(),
  /** Server time minus local time, from the latest message. */
  offset: 0,
  thresholds: { warn: 3, crit: 5, drop: 6 },
  refreshMs: 5000,
  matched: 0,
  total: 0,
  counts: { OK: 0, WARNING: 0, CRITICAL: 0 },
  live: false,
  retryMs: 2000,
};

// ---- formatting ------------------------------------------------------------------------------

const serverNow = () => Date.now() + view.offset;

function ago(ms) {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86400)} d ago`;
}

function duration(ms) {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 120_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 7_200_000) return `${Math.round(ms / 60_000)} min`;
  return `${Math.round(ms / 3_600_000)} h`;
}

// One formatter of each kind: building one per call costs more than the rest of a row.
const longFormat = new Intl.DateTimeFormat(undefined, {
  dateStyle: 'medium',
  timeStyle: 'medium',
});
const shortFormat = new Intl.DateTimeFormat(undefined, {
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
});
const numberFormat = new Intl.NumberFormat();
const count = (n) => numberFormat.format(n);
const exact = (ms) =>
  `${longFormat.format(ms)} (${new Date(ms).toISOString()})`;
const shortDateTime = (ms) => shortFormat.format(ms);

// ---- rows ------------------------------------------------------------------------------------

/** The row's od now: live for a late app (it has not beaten since), as read for a fine one. */
function odOf(row) {
  if (row.app.state === 'OK') return row.app.od;
  return Math.max(0, serverNow() - row.lastSeen) / row.app.delayMs;
}

function compare(sort) {
  const sign = sort.startsWith('-') ? -1 : 1;
  const key = sort.replace('-', '');
  const byId = (a, b) =>
    a.app.id < b.app.id ? -1 : a.app.id > b.app.id ? 1 : 0;
  if (key === 'id') return (a, b) => sign * byId(a, b);
  if (key === 'state') {
    return (a, b) =>
      sign * (RANK[a.app.state] - RANK[b.app.state]) ||
      odOf(b) - odOf(a) ||
      byId(a, b);
  }
  if (key === 'lastSeen') {
    return (a, b) => sign * (a.lastSeen - b.lastSeen) || byId(a, b);
  }
  return (a, b) => sign * (odOf(a) - odOf(b)) || byId(a, b);
}

/** Sets text only when it changed: no needless DOM work, no noise for assistive technology. */
function setText(element, text) {
  if (element.textContent !== text) element.textContent = text;
}

function setTitle(element, title) {
  if (element.title !== title) element.title = title;
}

function cell(tr, tag, className) {
  const element = document.createElement(tag);
  if (className) element.className = className;
  tr.append(element);
  return element;
}

function button(label, action) {
  const element = document.createElement('button');
  element.type = 'button';
  element.dataset.action = action;
  element.textContent = label;
  return element;
}

function createRow(id) {
  const tr = document.createElement('tr');
  tr.dataset.id = id;
  const idCell = cell(tr, 'th');
  idCell.scope = 'row';
  idCell.textContent = id;
  const state = cell(cell(tr, 'td'), 'span', 'state');
  const odCell = cell(tr, 'td');
  const od = cell(odCell, 'span', 'od');
  const odValue = cell(od, 'span', 'od-value');
  const bar = cell(od, 'span', 'bar');
  bar.setAttribute('aria-hidden', 'true');
  const fill = cell(bar, 'span', 'fill');
  const t = cell(tr, 'td');
  const seen = cell(tr, 'td');
  const registered = cell(tr, 'td');
  const paused = cell(tr, 'td');
  const actions = cell(tr, 'td', 'actions');
  const pause = button('Pause', 'pause');
  const remove = button('Delete', 'delete');
  actions.append(pause, remove);
  remove.setAttribute('aria-label', `Delete ${id}`);
  return {
    tr,
    cells: { state, odValue, fill, t, seen, registered, paused, pause },
  };
}

function fillRow(row) {
  const { app, cells } = row;
  const od = odOf(row);
  if (row.tr.dataset.state !== app.state) row.tr.dataset.state = app.state;
  setText(cells.state, app.state);
  setText(cells.odValue, od.toFixed(2));
  cells.fill.style.width = `${Math.min(100, (od / view.thresholds.drop) * 100).toFixed(1)}%`;
  setText(cells.t, duration(app.delayMs));
  // A fine app may have beaten since the page was read: its age is as of that read.
  const at = app.state === 'OK' ? row.asOf : serverNow();
  setText(cells.seen, ago(at - row.lastSeen));
  setTitle(cells.seen, exact(row.lastSeen));
  if (row.shown !== app) {
    // What only changes with a new view of the app.
    row.shown = app;
    const registeredAt = Date.parse(app.registeredAt);
    setText(cells.registered, shortDateTime(registeredAt));
    setTitle(cells.registered, exact(registeredAt));
    const until = app.pausedUntil ? Date.parse(app.pausedUntil) : NaN;
    cells.paused.replaceChildren();
    if (app.paused) {
      const badge = cell(cells.paused, 'span', 'paused');
      badge.textContent = Number.isNaN(until)
        ? 'paused'
        : `until ${shortDateTime(until)}`;
      if (!Number.isNaN(until)) badge.title = exact(until);
    } else {
      cells.paused.textContent = '—';
    }
    const verb = app.paused ? 'Resume' : 'Pause';
    cells.pause.textContent = verb;
    cells.pause.dataset.action = verb.toLowerCase();
    cells.pause.setAttribute('aria-label', `${verb} ${app.id}`);
  }
}

const matches = (id) => id.toLowerCase().includes(view.q.toLowerCase());

/** Shows a newer view of an app: updates its row, or adds one when it belongs on the page. */
function upsert(app, asOf) {
  const row = view.rows.get(app.id);
  if (row) {
    if (asOf < row.asOf) return;
    Object.assign(row, { app, asOf, lastSeen: Date.parse(app.lastSeen) });
    return;
  }
  if (!matches(app.id)) return;
  view.rows.set(app.id, {
    app,
    asOf,
    lastSeen: Date.parse(app.lastSeen),
    ...createRow(app.id),
  });
}

function removeRow(id) {
  const row = view.rows.get(id);
  if (!row) return;
  row.tr.remove();
  view.rows.delete(id);
}

let renderTimer = 0;
function scheduleRender() {
  if (!renderTimer) renderTimer = setTimeout(render, 16);
}

/** Orders the rows, keeps the first `limit`, moves only what moved, keeps focus where it was. */
function render() {
  renderTimer = 0;
  const ordered = [...view.rows.values()].sort(compare(view.sort));
  for (const row of ordered.splice(view.limit)) removeRow(row.app.id);
  const focused = document.activeElement;
  let previous = null;
  for (const row of ordered) {
    fillRow(row);
    const expected = previous ? previous.nextSibling : ui.rows.firstChild;
    if (expected !== row.tr) {
      if (ui.rows.moveBefore && row.tr.isConnected) {
        ui.rows.moveBefore(row.tr, expected);
      } else {
        ui.rows.insertBefore(row.tr, expected);
      }
    }
    previous = row.tr;
  }
  if (focused && focused !== document.activeElement && focused.isConnected) {
    focused.focus({ preventScroll: true });
  }
  ui.empty.hidden = ordered.length > 0;
  ui.empty.textContent = view.q
    ? 'No application matches this filter.'
    : 'No applications registered.';
  ui.shown.textContent =
    `Showing ${count(ordered.length)} of ${count(view.matched)}` +
    (view.q ? ' matching' : '');
  for (const state of ['OK', 'WARNING', 'CRITICAL']) {
    setText($(`count-${state}`), count(view.counts[state]));
  }
  setText($('count-total'), count(view.total));
  renderSortHeaders();
}

function renderSortHeaders() {
  const key = view.sort.replace('-', '');
  for (const th of ui.table.querySelectorAll('th[data-sort]')) {
    if (th.dataset.sort === key) {
      th.setAttribute(
        'aria-sort',
        view.sort.startsWith('-') ? 'descending' : 'ascending',
      );
    } else {
      th.removeAttribute('aria-sort');
    }
  }
  ui.caption.textContent = `Applications, ${CAPTIONS[key]}, ${
    view.sort.startsWith('-') ? 'descending' : 'ascending'
  }`;
}

// ---- server ----------------------------------------------------------------------------------

const token = () => {
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null; // Storage refused (a locked-down browser): no token kept.
  }
};

/** A request to the server, with the token when one is kept. Relative: works under any mount. */
function api(path, init = {}) {
  const headers = new Headers(init.headers);
  const kept = token();
  if (kept) headers.set('Authorization', `Bearer ${kept}`);
  return fetch(path, { ...init, headers, cache: 'no-store' });
}

async function errorText(response) {
  const text = (await response.text().catch(() => '')).trim();
  try {
    const json = JSON.parse(text);
    if (typeof json.message === 'string') return json.message;
  } catch {
    // Not JSON: the text itself (the heartbeat routes answer `ERROR: ...` lines).
  }
  return text.slice(0, 200);
}

function say(text) {
  ui.message.textContent = text;
}

function askForToken(reason) {
  ui.tokenReason.textContent = reason;
  if (!ui.tokenForm.hidden) return;
  ui.tokenForm.hidden = false;
  ui.token.focus();
}

let loads = 0;
/** Whether a first page was shown, or is on its way. */
let shownOnce = false;
/** Reads the first page (counts, and at most `limit` apps in the chosen order and filter). */
async function load() {
  // No limit: the server's default page (200, or its largest if that is smaller).
  const params = new URLSearchParams({ sort: view.sort });
  if (view.q) params.set('q', view.q);
  const seq = ++loads;
  shownOnce = true;
  let response;
  try {
    response = await api(`dashboard/apps?${params}`);
  } catch {
    shownOnce = false;
    return; // Unreachable: the stream's banner says so, and the next connection reloads.
  }
  shownOnce = response.ok;
  if (seq !== loads) return;
  if (response.status === 401) {
    askForToken(
      token()
        ? 'The server did not accept this token. Enter another one.'
        : 'This server asks for a token to show its applications.',
    );
    return;
  }
  if (response.status === 403) {
    askForToken(
      'This token may not read the applications. Enter a read token.',
    );
    return;
  }
  if (!response.ok) {
    say(`Could not read the applications: ${await errorText(response)}`);
    return;
  }
  const page = await response.json();
  if (seq !== loads) return;
  const asOf = Date.parse(page.now);
  view.offset = asOf - Date.now();
  view.thresholds = page.thresholds;
  view.refreshMs = page.refreshMs;
  view.counts = page.counts;
  view.total = page.total;
  view.matched = page.matched;
  view.limit = page.limit;
  const { warn, crit, drop } = page.thresholds;
  ui.table.style.setProperty('--warn-at', `${(warn / drop) * 100}%`);
  ui.table.style.setProperty('--crit-at', `${(crit / drop) * 100}%`);
  const keep = new Set(page.apps.map((app) => app.id));
  for (const id of view.rows.keys()) if (!keep.has(id)) removeRow(id);
  for (const app of page.apps) upsert(app, asOf);
  render();
  clearTimeout(refreshTimer);
  refreshTimer = 0;
  scheduleRefresh();
}

let refreshTimer = 0;
let refreshAt = 0;
/** Reads the first page again in `refreshMs` (the server's pace), or sooner when asked to. */
function scheduleRefresh(delay = view.refreshMs) {
  if (refreshTimer && refreshAt <= Date.now() + delay) return;
  clearTimeout(refreshTimer);
  refreshAt = Date.now() + delay;
  refreshTimer = setTimeout(() => {
    refreshTimer = 0;
    if (view.live) void load();
    else scheduleRefresh();
  }, delay);
}

function onEvent(name, data) {
  const asOf = Date.parse(data.now);
  view.offset = asOf - Date.now();
  const id = data.appId;
  if (name === 'counts') {
    view.counts = data.counts;
    view.total = data.total;
  } else if (
    name === 'heartbeat.dropped' ||
    name === 'heartbeat.deregistered'
  ) {
    if (matches(id)) view.matched = Math.max(0, view.matched - 1);
    removeRow(id);
    // Rows went and more apps match than are shown: refill soon (a quarter of the server's pace).
    if (view.rows.size < Math.min(view.limit, view.matched)) {
      scheduleRefresh(Math.max(1000, view.refreshMs / 4));
    }
  } else {
    if (name === 'heartbeat.registered') {
      view.total += 1;
      view.counts.OK += 1;
      if (matches(id)) view.matched += 1;
    } else if (data.from in view.counts && data.to in view.counts) {
      view.counts[data.from] = Math.max(0, view.counts[data.from] - 1);
      view.counts[data.to] += 1;
    }
    if (data.app) {
      upsert(data.app, asOf);
    } else if (data.app === null) {
      removeRow(id);
    } else if (view.rows.has(id) && data.to) {
      // The app's view could not be read with the event: at least show its new state.
      const row = view.rows.get(id);
      row.app = { ...row.app, state: data.to, od: data.od };
    }
  }
  scheduleRender();
}

// ---- the event stream ------------------------------------------------------------------------

let stream = null;
let retryTimer = 0;

function setLive(live) {
  view.live = live;
  ui.banner.hidden = live;
  ui.connection.dataset.live = String(live);
  ui.connection.textContent = live ? 'Live' : 'Disconnected';
}

let opens = 0;
function onOpen() {
  clearTimeout(retryTimer);
  backoff = 0;
  setLive(true);
  // After a reconnection, anything may have changed: read the page again. The first page of a
  // fresh tab is asked for at start, beside the stream, so the board shows without waiting for it.
  opens += 1;
  if (opens > 1 || !shownOnce) void load();
}

function onDown() {
  setLive(false);
}

let backoff = 0;
/** After a refusal: again in `retry` ms, doubling up to 30 s; not while a token is asked for. */
function reconnectLater() {
  clearTimeout(retryTimer);
  if (!ui.tokenForm.hidden) return;
  const wait = Math.min(30_000, view.retryMs * 2 ** backoff);
  backoff = Math.min(backoff + 1, 5);
  retryTimer = setTimeout(connect, wait);
}

/** Follows `GET events`: with EventSource, or, when a token is kept, with fetch (EventSource cannot send headers). */
function connect() {
  disconnect();
  if (token()) {
    const controller = new AbortController();
    stream = controller;
    readStream(controller.signal)
      .catch(() => undefined)
      .finally(() => {
        if (stream !== controller) return;
        onDown();
        reconnectLater();
      });
    return;
  }
  const source = new EventSource('events');
  stream = source;
  source.onopen = onOpen;
  source.onerror = () => {
    onDown();
    // EventSource retries by itself after a dropped connection, but not after a refusal (an error
    // status, e.g. 401 or 503): then find out why (load asks for a token on 401) and retry later.
    if (source.readyState === EventSource.CLOSED) {
      void load();
      reconnectLater();
    }
  };
  for (const name of [...EVENTS, 'counts']) {
    source.addEventListener(name, (event) =>
      onEvent(name, JSON.parse(event.data)),
    );
  }
}

function disconnect() {
  if (stream instanceof EventSource) stream.close();
  else stream?.abort();
  stream = null;
}

/** The event stream read with fetch, for servers that want the token in a header. */
async function readStream(signal) {
  const response = await api('events', {
    signal,
    headers: { Accept: 'text/event-stream' },
  });
  if (response.status === 401 || response.status === 403) {
    void load();
    throw new Error(`events: ${response.status}`);
  }
  if (!response.ok || !response.body)
    throw new Error(`events: ${response.status}`);
  onOpen();
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value.replace(/\r\n?/g, '\n');
    let end;
    while ((end = buffer.indexOf('\n\n')) !== -1) {
      dispatch(buffer.slice(0, end));
      buffer = buffer.slice(end + 2);
    }
  }
}

function dispatch(message) {
  let name = 'message';
  const data = [];
  for (const line of message.split('\n')) {
    const colon = line.indexOf(':');
    if (colon === 0) continue;
    const field = colon === -1 ? line : line.slice(0, colon);
    const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') name = value;
    else if (field === 'data') data.push(value);
    else if (field === 'retry' && /^\d+$/.test(value))
      view.retryMs = Number(value);
  }
  if (data.length > 0 && (EVENTS.includes(name) || name === 'counts')) {
    onEvent(name, JSON.parse(data.join('\n')));
  }
}

// ---- actions ---------------------------------------------------------------------------------

const VERBS = { pause: 'Pause', resume: 'Resume', delete: 'Delete' };

async function act(action, id) {
  const verb = VERBS[action];
  const path = `apps/${encodeURIComponent(id)}${action === 'delete' ? '' : `/${action}`}`;
  const init = { method: action === 'delete' ? 'DELETE' : 'POST' };
  const pauseFor = Number(ui.pauseFor.value);
  if (action === 'pause' && pauseFor > 0) {
    init.headers = { 'Content-Type': 'application/json' };
    init.body = JSON.stringify({
      until: new Date(serverNow() + pauseFor).toISOString(),
    });
  }
  let response;
  try {
    response = await api(path, init);
  } catch {
    say(`${verb} ${id}: the server cannot be reached.`);
    return;
  }
  if (response.ok) {
    say(`${verb}: done for ${id}.`);
    void load();
    return;
  }
  const detail = await errorText(response);
  if (response.status === 401) {
    say(`${verb} ${id}: the server asks for a token (401).`);
    askForToken(`${verb} needs an admin token.`);
  } else if (response.status === 403) {
    say(
      `${verb} ${id}: this token is not allowed to (403); an admin token is needed.`,
    );
  } else if (
    response.status === 405 ||
    (response.status === 404 && !/application record/.test(detail))
  ) {
    say(
      `${verb} is not available on this server (${response.status}: ${detail}).`,
    );
  } else {
    say(`${verb} ${id} failed (${response.status}): ${detail}`);
  }
}

ui.rows.addEventListener('click', (event) => {
  const target = event.target.closest('button[data-action]');
  if (!target) return;
  const id = target.closest('tr').dataset.id;
  const action = target.dataset.action;
  if (action === 'delete' && target.dataset.armed !== 'true') {
    // Two steps: the first press asks, the second (within 5 s) deletes.
    target.dataset.armed = 'true';
    target.textContent = 'Confirm delete';
    setTimeout(() => {
      target.dataset.armed = 'false';
      target.textContent = 'Delete';
    }, 5000);
    return;
  }
  void act(action, id);
});

// ---- controls --------------------------------------------------------------------------------

ui.table.querySelector('thead').addEventListener('click', (event) => {
  const target = event.target.closest('button[data-sort]');
  if (!target) return;
  const key = target.dataset.sort;
  const current = view.sort.replace('-', '');
  view.sort =
    key === current
      ? view.sort.startsWith('-')
        ? key
        : `-${key}`
      : `${DEFAULT_DIRECTION[key]}${key}`;
  renderSortHeaders();
  void load();
});

let filterTimer = 0;
ui.filter.addEventListener('input', () => {
  clearTimeout(filterTimer);
  filterTimer = setTimeout(() => {
    view.q = ui.filter.value.trim();
    void load();
  }, 250);
});

ui.tokenForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const value = ui.token.value.trim();
  if (!value) return;
  sessionStorage.setItem(TOKEN_KEY, value);
  ui.token.value = '';
  ui.tokenForm.hidden = true;
  ui.forgetToken.hidden = false;
  say('');
  connect();
  void load();
});

ui.forgetToken.addEventListener('click', () => {
  sessionStorage.removeItem(TOKEN_KEY);
  ui.forgetToken.hidden = true;
  connect();
});

// Late apps age by the second; fine ones are re-read every `refreshMs`.
setInterval(() => {
  if (view.rows.size > 0) scheduleRender();
}, 1000);

ui.forgetToken.hidden = !token();
renderSortHeaders();
connect();
void load();
