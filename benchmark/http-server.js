'use strict';
// A small HTTP/1.1 server for benchmark/accuracy.js, run as its own process so that the
// load generators and the server do not share a JS thread:
//   node benchmark/http-server.js [stallAfterMs] [stallMs]
// Prints its port on stdout. With stallAfterMs, the whole server stalls once for stallMs
// (busy wait, like a GC pause) that long after its first request.
const http = require('node:http');

const stallAfter = Number(process.argv[2] ?? NaN);
const stallMs = Number(process.argv[3] ?? 200);
let first = null;
let stalled = false;
const body = JSON.stringify({ status: 'ok', service: 'novacron-api' });

const server = http.createServer((req, res) => {
  const now = Date.now();
  first ??= now;
  if (!stalled && Number.isFinite(stallAfter) && now - first >= stallAfter) {
    stalled = true;
    const end = process.hrtime.bigint() + BigInt(stallMs * 1e6);
    while (process.hrtime.bigint() < end);
  }
  res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
});
server.keepAliveTimeout = 120_000;
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
