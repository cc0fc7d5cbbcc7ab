'use strict';
// Helpers of the NetworkStorageBenchmark tests: what the kernel says about this process.
const fs = require('node:fs');

/** Threads of this process (/proc/self/task). */
function threadCount() {
  return fs.readdirSync('/proc/self/task').length;
}

/** Inodes of the sockets this process has open (/proc/self/fd → `socket:[inode]`). */
function ownSocketInodes() {
  const inodes = new Set();
  for (const fd of fs.readdirSync('/proc/self/fd')) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/self/fd/${fd}`));
      if (m) inodes.add(m[1]);
    } catch {
      // closed meanwhile
    }
  }
  return inodes;
}

/** Ports this process listens on (TCP and TCP6): /proc/net/tcp{,6} rows in LISTEN state whose inode is one of our sockets. */
function listeningPorts() {
  const own = ownSocketInodes();
  const ports = new Set();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f[3] === '0A' && own.has(f[9])) ports.add(parseInt(f[1].split(':')[1], 16));
    }
  }
  return ports;
}

/** Polls `cond` every 20 ms for up to `ms`; fails with `describe()` when it never holds. */
async function waitFor(cond, ms, describe) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`condition not met within ${ms} ms: ${describe()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

module.exports = { threadCount, listeningPorts, waitFor };
