// The floor: a bare node:http server answering hb_ping from a Map, with the same headers and
// body as the heartbeat server, and no validation beyond what the route needs.
import { createServer } from 'node:http';

const apps = new Map();
const TOLERANCE = 1000;

createServer((req, res) => {
  const [path, query = ''] = req.url.split('?');
  if (!path.endsWith('/hb_ping')) {
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
  apps.set(appId, { lastSeen: Date.now(), delay: timeout + TOLERANCE });
  res.writeHead(200, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Cache-Control': 'no-store',
    'Access-Control-Allow-Origin': '*',
  });
  res.end(String(timeout + TOLERANCE));
}).listen(Number(process.env.PORT), '127.0.0.1', () => console.log('ready'));
