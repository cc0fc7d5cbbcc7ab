'use strict';
// NetworkStorageBenchmark, network and HTTP parts: throughput checked against the loopback
// interface counters, latencies against servers of known delay, coordinated omission
// against a stalling server, servers slower than the rate, silent or resetting, bad
// targets refused fast, the built-in peer for a loopback host, and the standalone peer.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { NetworkStorageBenchmark } = require('..');
const { listeningPorts, threadCount, waitFor } = require('./network-storage-helpers');
const { spin } = require('./helpers');

/** Bytes received by `lo` since boot (/proc/net/dev). */
function loopbackRxBytes() {
  const line = fs.readFileSync('/proc/net/dev', 'utf8').split('\n').find((l) => l.trim().startsWith('lo:'));
  return Number(line.split(':')[1].trim().split(/\s+/)[0]);
}

function runNetwork(network) {
  return new NetworkStorageBenchmark({ storage: false, network }).run();
}

/** A local HTTP server; `handler(req, res, n)` gets the request number. Closed after the test. */
async function server(t, handler) {
  let n = 0;
  const srv = http.createServer((req, res) => handler(req, res, ++n));
  srv.keepAliveTimeout = 60_000;
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  t.after(() => new Promise((r) => {
    srv.closeAllConnections();
    srv.close(r);
  }));
  return { url: `http://127.0.0.1:${srv.address().port}/api/health`, count: () => n };
}

/** A port nobody listens on. */
async function closedPort() {
  const s = net.createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

test('tcp: throughput is measured at the receiver and the bytes crossed the loopback interface', async () => {
  const before = loopbackRxBytes();
  const r = await runNetwork({ mode: 'tcp', duration: 500, warmup: 200, streams: 2 });
  const moved = loopbackRxBytes() - before;
  const np = r.results.networkPerformance;
  const t = np.tcpThroughput;
  assert.equal(t.streams, 2);
  assert.equal(t.durationMs, 500);
  assert.equal(t.measuredAt, 'receiver');
  assert.ok(Math.abs(t.receiverDurationMs - 500) < 60, `receiver window ${t.receiverDurationMs}`);
  assert.ok(Math.abs(t.bitsPerSecond - (t.receiverBytes * 8) / (t.receiverDurationMs / 1000)) < 1e-6 * t.bitsPerSecond);
  assert.ok(moved >= t.receiverBytes, `lo moved ${moved} < counted ${t.receiverBytes}`);
  assert.equal(np.throughput.bitsPerSecond, t.bitsPerSecond);
  assert.deepEqual(np.throughput.results.tcp, t);
  assert.match(np.peer.kind, /^built-in/);
  assert.equal(np.requestResponse.status, 'skipped');
  assert.equal(r.results.storagePerformance.status, 'skipped');
});

test('tcp_rr: one request in flight (Little\'s law), connect time and connection rate reported apart', async () => {
  const r = await runNetwork({ mode: 'tcp_rr', duration: 400, warmup: 100 });
  const rr = r.results.networkPerformance.requestResponse;
  assert.equal(rr.inFlight, 1);
  assert.equal(rr.nodelay, true);
  assert.equal(rr.latencyKind, 'rtt');
  assert.equal(rr.latency.samples, rr.transactions);
  const little = (rr.latency.avg / 1000) * rr.transactionsPerSecond;
  assert.ok(little > 0.8 && little <= 1.05, `mean RTT × rate = ${little}`);
  assert.ok(rr.connectLatency > 0);
  const cr = rr.connectionRate;
  assert.ok(cr.connections > 10 && Math.abs(cr.connectionsPerSecond - cr.connections / (cr.durationMs / 1000)) < 1e-6 * cr.connectionsPerSecond);
  // No connect waited for a SYN retransmit (1 s): the peer keeps up with the client.
  assert.ok(cr.connectLatency.max < 900, `slowest connect ${cr.connectLatency.max} ms`);
  assert.ok(cr.cycleLatency.p50 >= cr.connectLatency.p50);
  assert.deepEqual(r.results.networkPerformance.latency.latency, rr.latency);
  const rel = r.results.networkPerformance.reliability;
  assert.equal(rel.source, 'TCP request/response transactions');
  assert.equal(rel.successCount, rr.transactions);
});

test('udp: datagrams sent at the target rate, every one received or counted lost', async () => {
  const r = await runNetwork({ mode: 'udp', duration: 400, bandwidth: 4e6, packetSize: 1000 });
  const u = r.results.networkPerformance.udp;
  // 4 Mbit/s of 1000-byte datagrams for 0.4 s is 200 datagrams.
  assert.ok(u.sentPackets >= 190 && u.sentPackets <= 201, `sent ${u.sentPackets}`);
  assert.equal(u.receivedPackets + u.lostPackets, u.sentPackets);
  assert.ok(u.jitterMs >= 0 && u.jitterMs < 50);
  assert.match(u.jitterMethod, /RFC 3550/);
});

test('http closed loop: a server answering after 5 ms gives min ≥ 5 ms and avg within 5–7.5 ms', async (t) => {
  // A busy wait, not setTimeout: Node's timers count from the loop's cached clock and may fire early.
  const srv = await server(t, (req, res) => {
    spin(5);
    res.end('{"ok":true}');
  });
  const r = await runNetwork({ mode: 'http', url: srv.url, connections: 1, duration: 600, warmup: 100 });
  const c = r.results.networkPerformance.http.closedLoop;
  assert.equal(c.mode, 'closed-loop');
  assert.match(c.coordinatedOmission, /^uncorrected/);
  assert.ok(c.latency.min >= 5, `min ${c.latency.min}`);
  assert.ok(c.latency.avg >= 5 && c.latency.avg <= 7.5, `avg ${c.latency.avg}`);
  assert.ok(srv.count() >= c.requests, 'the server saw every request we counted');
  assert.equal(c.errors.total, 0);
  assert.equal(r.results.networkPerformance.http.openLoop.status, 'skipped');
});

test('http open loop: a 200 ms server stall shows in the latencies of every request scheduled during it', async (t) => {
  let stallAt = Infinity;
  const srv = await server(t, (req, res) => {
    if (Date.now() >= stallAt) {
      stallAt = Infinity;
      spin(200); // the whole server stalls, as a GC pause or a lock would
    }
    res.end('ok');
  });
  const run = async (network) => {
    stallAt = Date.now() + 450; // inside the window: after the 200 ms warm-up
    return (await runNetwork({ mode: 'http', url: srv.url, connections: 4, duration: 800, warmup: 200, ...network })).results.networkPerformance.http;
  };
  const open = (await run({ rate: 500 })).openLoop;
  assert.equal(open.mode, 'open-loop');
  assert.equal(open.targetRate, 500);
  assert.ok(open.latency.max >= 200, `max ${open.latency.max}`);
  // ~50 of the ~400 scheduled requests were due in the first half of the stall: > 100 ms.
  assert.ok(open.latency.p90 >= 100, `open-loop p90 ${open.latency.p90}`);
  assert.ok(open.scheduled >= 395 && open.scheduled <= 400, `scheduled ${open.scheduled}`);
  const closed = (await run({})).closedLoop;
  assert.ok(closed.latency.max >= 190, `closed max ${closed.latency.max}`);
  // The closed loop records the stall once per connection and hides it.
  assert.ok(closed.latency.p90 < 50, `closed-loop p90 ${closed.latency.p90}`);
});

test('http errors are counted by kind and lower the success rate', async (t) => {
  const srv = await server(t, (req, res, n) => {
    res.statusCode = n % 4 === 0 ? 503 : 200;
    res.end('x');
  });
  const r = await runNetwork({ mode: 'http', url: srv.url, connections: 2, duration: 400, warmup: 50 });
  const c = r.results.networkPerformance.http.closedLoop;
  assert.ok(c.errors.status5xx > 0);
  assert.equal(c.errors.total, c.errors.status5xx);
  const share = c.errors.status5xx / c.requests;
  assert.ok(share > 0.2 && share < 0.3, `5xx share ${share}`);
  const rel = r.results.networkPerformance.reliability;
  assert.equal(rel.failureCount, c.errors.status5xx);
  assert.ok(Math.abs(rel.successRate - (100 * (c.requests - c.errors.status5xx)) / c.requests) < 1e-9);
  assert.deepEqual(rel.recommendations.map((x) => `${x.type}/${x.severity}`), ['reliability/high']);
  assert.equal(c.errors.first, 'Status: HTTP 503');
});

test('http open loop against a server slower than the rate: ends at the duration, the rest is missed', async (t) => {
  // 200 ms responses at 20 req/s on 1 connection for 3 s: 13.3 s and achievedRate 20 before.
  const srv = await server(t, (req, res) => setTimeout(() => res.end('ok'), 200));
  const t0 = Date.now();
  const r = await runNetwork({ mode: 'http', url: srv.url, connections: 1, rate: 20, duration: 3000, warmup: 0 });
  const took = Date.now() - t0;
  const open = r.results.networkPerformance.http.openLoop;
  assert.ok(took < 3000 + 1000 + 500, `the run took ${took} ms`);
  assert.ok(open.achievedRate >= 4.5 && open.achievedRate <= 5.5, `achievedRate ${open.achievedRate}`);
  assert.equal(open.rateNotAchieved, true);
  assert.equal(open.scheduled, 60);
  assert.equal(open.completed + open.missed, open.scheduled);
  assert.ok(open.missed >= 43, `missed ${open.missed}`);
  assert.equal(open.timedOut, 0);
  assert.equal(open.errors.total, 0);
  // Every due request is in the latency; the ones never sent count from their due time.
  assert.equal(open.latency.samples, 60);
  assert.ok(open.latency.max > 2000, `max ${open.latency.max}`);
  assert.ok(r.results.networkPerformance.http.recommendations.some((x) => /did not sustain 20 req\/s/.test(x.message)));
});

test('http open loop against a server that never answers: duration plus a bounded grace', async (t) => {
  const srv = await server(t, () => {});
  const t0 = Date.now();
  const r = await runNetwork({ mode: 'http', url: srv.url, connections: 1, rate: 20, duration: 1000, warmup: 0 });
  const took = Date.now() - t0;
  const open = r.results.networkPerformance.http.openLoop;
  // The 2 s request timeout is cut to the 1 s grace (it was 48 s for 3 s).
  assert.ok(took < 1000 + 1000 + 500, `the run took ${took} ms`);
  assert.equal(open.achievedRate, 0);
  assert.equal(open.rateNotAchieved, true);
  assert.deepEqual([open.scheduled, open.completed, open.missed, open.timedOut], [20, 0, 19, 1]);
  assert.equal(open.errors.timeout, 1);
  assert.equal(open.errorRate, 1);
});

test('http resets after the server read the request are errors, not hidden retries', async (t) => {
  // Every third request is reset after it was read: wrk reports 33 % errors (15.9 % before).
  const srv = await server(t, (req, res, n) => {
    if (n % 3 === 0) req.socket.resetAndDestroy();
    else res.end('ok');
  });
  const r = await runNetwork({ mode: 'http', url: srv.url, connections: 2, duration: 500, warmup: 50 });
  const c = r.results.networkPerformance.http.closedLoop;
  assert.ok(c.errors.reset > 10, JSON.stringify(c.errors));
  assert.equal(c.errors.total, c.errors.reset);
  assert.equal(c.retries, 0);
  assert.ok(c.errorRate > 0.28 && c.errorRate < 0.38, `error rate ${c.errorRate}`);
  assert.match(c.errors.first, /^Reset: /);
  const rel = r.results.networkPerformance.reliability;
  assert.equal(rel.failureCount, c.errors.reset);
});

test('bad network input: clear errors before any load, unreachable targets within the connect timeout', async () => {
  assert.throws(() => new NetworkStorageBenchmark({ network: { url: 'not a url' } }), (e) => e instanceof TypeError && e.message.startsWith('network.url: got "not a url"'));
  assert.throws(() => new NetworkStorageBenchmark({ network: { mode: 'ping' } }), (e) => e instanceof RangeError && /^network\.mode: got "ping" \(accepted: one of 'tcp', 'tcp_rr', 'udp', 'http'\)/.test(e.message));
  assert.throws(() => new NetworkStorageBenchmark({ network: { port: 70000 } }), RangeError);
  // Something that is not a peer on a loopback port: an error naming host and port.
  const foreign = net.createServer((s) => s.end('SSH-2.0-OpenSSH_9.6\n'));
  await new Promise((r) => foreign.listen(0, '127.0.0.1', r));
  const fport = foreign.address().port;
  let t0 = Date.now();
  await assert.rejects(runNetwork({ mode: 'tcp', host: '127.0.0.1', port: fport, connectTimeout: 500 }), (e) => e.message.includes(`host 127.0.0.1, port ${fport}`) && e.message.includes('not a novacron-perf peer') && e.message.includes('npx novacron-perf peer'));
  assert.ok(Date.now() - t0 < 1500);
  foreign.close(); // stops listening; its one connection is already closed
  const port = await closedPort();
  t0 = Date.now();
  await assert.rejects(runNetwork({ mode: 'http', url: `http://127.0.0.1:${port}/x`, connectTimeout: 500 }), (e) => e.message.startsWith(`network.url: cannot connect to host 127.0.0.1 port ${port}`));
  assert.ok(Date.now() - t0 < 1500);
  const r = await runNetwork({ mode: 'http', url: 'https://127.0.0.1:1/secure' });
  assert.equal(r.results.networkPerformance.http.status, 'unavailable');
  assert.match(r.results.networkPerformance.http.reason, /https is not supported/);
});

test('an explicit loopback host with no peer listening gets the built-in peer', async () => {
  // `network: { mode: 'tcp', host: '127.0.0.1' }` failed with "cannot reach the peer".
  const port = await closedPort();
  const r = await runNetwork({ mode: 'tcp_rr', host: '127.0.0.1', port, duration: 200, warmup: 50 });
  const np = r.results.networkPerformance;
  assert.match(np.peer.kind, /^built-in/);
  assert.match(np.peer.address, /^127\.0\.0\.1:\d+$/);
  assert.ok(np.requestResponse.transactions > 10);
});

test('CLI peer: a standalone peer serves a remote-style run and stops on SIGTERM', async (t) => {
  const cli = path.join(__dirname, '..', 'bin', 'novacron-perf.js');
  const child = spawn(process.execPath, [cli, 'peer', '--port', '0', '--json'], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.after(() => child.kill('SIGKILL'));
  const lines = [];
  const first = await new Promise((resolve, reject) => {
    child.stdout.on('data', (d) => {
      lines.push(...d.toString().trim().split('\n'));
      if (lines.length) resolve(JSON.parse(lines[0]));
    });
    child.on('exit', (code) => reject(new Error(`peer exited with ${code}`)));
  });
  assert.equal(first.event, 'listening');
  const port = Number(first.address.split(':').pop());
  const r = await runNetwork({ mode: 'tcp_rr', host: '127.0.0.1', port, duration: 200, warmup: 50 });
  assert.match(r.results.networkPerformance.peer.kind, /^remote/);
  assert.equal(r.results.networkPerformance.peer.address, `127.0.0.1:${port}`);
  assert.ok(r.results.networkPerformance.requestResponse.transactions > 10);
  const code = await new Promise((resolve) => {
    child.on('exit', resolve);
    child.kill('SIGTERM');
  });
  assert.equal(code, 0);
  assert.equal(JSON.parse(lines.at(-1)).event, 'stopped');
  await assert.rejects(new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => resolve(s.end()));
    s.on('error', reject);
  }), /ECONNREFUSED/);
  assert.ok(!listeningPorts().has(port));
});

test('AbortSignal mid-run: sockets closed, loopback peer stopped, threads joined', async () => {
  await runNetwork({ mode: 'tcp_rr', duration: 100, warmup: 0 }); // starts libuv's pool threads, which stay
  const baseThreads = threadCount();
  const basePorts = listeningPorts();
  const controller = new AbortController();
  const reason = new Error('operator pressed stop');
  const bench = new NetworkStorageBenchmark({ storage: false, network: { mode: 'tcp', duration: 30_000, streams: 2 }, signal: controller.signal });
  let midRun = null;
  setTimeout(() => {
    midRun = { ports: listeningPorts(), threads: threadCount() };
    controller.abort(reason);
  }, 600);
  const t0 = Date.now();
  await assert.rejects(bench.run(), (e) => e === reason);
  assert.ok(Date.now() - t0 < 2000, `stopped after ${Date.now() - t0} ms`);
  const peerPorts = [...midRun.ports].filter((p) => !basePorts.has(p));
  assert.equal(peerPorts.length, 1, 'the loopback peer listened mid-run');
  assert.ok(midRun.threads >= baseThreads + 4, `threads mid-run ${midRun.threads} vs ${baseThreads}`);
  assert.ok(!listeningPorts().has(peerPorts[0]), 'peer port closed');
  // At most the baseline: a thread of an earlier test may end meanwhile; ours must all be gone.
  await waitFor(() => threadCount() <= baseThreads, 2000, () => `threads ${threadCount()} vs ${baseThreads}`);
});
