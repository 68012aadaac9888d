// The Fastify floor: a bare Fastify app doing what node-http.mjs does for hb_ping.
import Fastify from 'fastify';

const apps = new Map();
const TOLERANCE = 1000;
const app = Fastify({ logger: false });

app.all('/hb_ping', (request, reply) => {
  const [first = ''] = Object.keys(request.query);
  const timeout = request.query[first] === '' ? Number(first) || 0 : 0;
  apps.set(request.query.appid, {
    lastSeen: Date.now(),
    delay: timeout + TOLERANCE,
  });
  reply
    .code(200)
    .headers({
      'Content-Type': 'text/plain; charset=utf-8',
      'Cache-Control': 'no-store',
      'Access-Control-Allow-Origin': '*',
    })
    .send(String(timeout + TOLERANCE));
});

await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
console.log('ready');
