// The floor: a bare node:http server answering hb_ping and /status?appid= from a Map, with the
// same headers and bodies as the heartbeat server, and no validation beyond what the route needs.
import { createServer } from 'node:http';

const apps = new Map();
const TOLERANCE = 1000;

createServer((req, res) => {
  const [path, query = ''] = req.url.split('?');
  const ping = path.endsWith('/hb_ping');
  if (!ping && !path.endsWith('/status')) {
    res.writeHead(404).end();
    return;
  }
  let timeout = 0;
  let appId;
  query.split('&').forEach((part, i) => {
    const eq = part.indexOf('=');
    if (eq === -1 && i === 0) timeout = Number(part) || 0;
    else if (part.slice(0, eq) === 'appid')
      appId = decodeURIComponent(part.slice(eq + 1));
  });
  res.writeHead(200, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Cache-Control': 'no-store',
    'Access-Control-Allow-Origin': '*',
  });
  if (ping) {
    apps.set(appId, { lastSeen: Date.now(), delay: timeout + TOLERANCE });
    res.end(String(timeout + TOLERANCE));
    return;
  }
  const app = apps.get(appId);
  if (!app) {
    res.end(`CRITICAL - no application record for queried ID: [${appId}]`);
    return;
  }
  const od = (Date.now() - app.lastSeen) / app.delay;
  const state =
    od < 3
      ? 'OK - fine'
      : od < 5
        ? 'WARNING - somewhat late'
        : 'CRITICAL - quite late';
  res.end(
    `${state} application [${appId}]| od=${od.toFixed(2)};3;5;0;6 delay=${app.delay}ms;;;`,
  );
}).listen(Number(process.env.PORT), '127.0.0.1', () => console.log('ready'));
