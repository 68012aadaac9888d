// Registers apps app-0 .. app-(n-1) over HTTP as fast as the server can answer: plain
// `GET /hb_ping?600000&appid=app-N` requests, pipelined on a few keep-alive sockets. A load
// generator spends as much CPU per request as the server does, and on two cores that halves the
// server's rate; this client only writes pre-rendered requests and counts status lines, so a
// million registrations take a few minutes instead of many. Every app still goes through the
// server's full HTTP path, one request each.
import { connect } from 'node:net';

const STATUS_LINE = 'HTTP/1.1 ';
const STATUS_LINE_LENGTH = STATUS_LINE.length + 3;

/**
 * Sends `n` pings; resolves once every answer has arrived, rejects unless all of them are 200.
 * `window` requests are kept in flight per socket.
 */
export async function preload(url, n, { sockets = 8, window = 64 } = {}) {
  const { hostname, port } = new URL(url);
  let next = 0;
  let ok = 0;
  const failures = [];
  const request = (i) =>
    `GET /hb_ping?600000&appid=app-${i} HTTP/1.1\r\nHost: ${hostname}\r\n\r\n`;

  const run = () =>
    new Promise((resolve, reject) => {
      const socket = connect(Number(port), hostname);
      let inFlight = 0;
      let tail = '';
      const fill = () => {
        let batch = '';
        while (inFlight < window && next < n) {
          batch += request(next++);
          inFlight++;
        }
        if (batch) socket.write(batch);
        if (inFlight === 0) {
          socket.end();
          resolve();
        }
      };
      socket.setEncoding('latin1');
      socket.once('connect', fill);
      socket.on('data', (chunk) => {
        // Bodies are numbers, so a status line is the only place this text occurs; a chunk may
        // end inside one, hence the carried tail.
        const text = tail + chunk;
        let at = 0;
        for (;;) {
          const found = text.indexOf(STATUS_LINE, at);
          if (found === -1 || found + STATUS_LINE_LENGTH > text.length) break;
          const status = text.slice(
            found + STATUS_LINE.length,
            found + STATUS_LINE_LENGTH,
          );
          if (status === '200') ok++;
          else failures.push(status);
          inFlight--;
          at = found + STATUS_LINE_LENGTH;
        }
        tail = text.slice(Math.max(at, text.length - STATUS_LINE_LENGTH + 1));
        fill();
      });
      socket.once('error', reject);
      socket.once('close', () => {
        if (inFlight > 0)
          reject(
            new Error(`connection closed with ${inFlight} pings unanswered`),
          );
      });
    });

  await Promise.all(Array.from({ length: sockets }, run));
  if (ok !== n) {
    throw new Error(
      `preload: ${ok} of ${n} pings answered 200 (others: ${failures.slice(0, 5)})`,
    );
  }
}
