// The framework floor: a bare Express 5 app doing what node-http.mjs does.
import express from 'express';

const apps = new Map();
const TOLERANCE = 1000;
const app = express();
app.disable('x-powered-by');
app.set('etag', false);

app.all('/hb_ping', (req, res) => {
  const [first = ''] = Object.keys(req.query);
  const timeout = req.query[first] === '' ? Number(first) || 0 : 0;
  apps.set(req.query.appid, {
    lastSeen: Date.now(),
    delay: timeout + TOLERANCE,
  });
  res
    .status(200)
    .set({
      'Content-Type': 'text/plain; charset=utf-8',
      'Cache-Control': 'no-store',
      'Access-Control-Allow-Origin': '*',
    })
    .send(String(timeout + TOLERANCE));
});

app.listen(Number(process.env.PORT), '127.0.0.1', () => console.log('ready'));
