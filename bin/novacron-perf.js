#!/usr/bin/env node
'use strict';
/**
 * novacron-perf command line. One subcommand for now:
 *
 *   novacron-perf peer [--port N] [--bind ADDR] [--json]
 *
 * starts the network benchmark's peer (TCP sink, echo, UDP receiver, HTTP /health) so
 * that NetworkStorageBenchmark can measure the path to this host with
 * `network: { host: '<this host>', port: N }`. It listens on TCP and UDP port N (default
 * 5301) of ADDR (default 127.0.0.1: loopback only; give 0.0.0.0 or an interface address
 * to accept other hosts) and stops cleanly on SIGINT or SIGTERM.
 */
const { setInterval, clearInterval } = require('node:timers');
const { startPeer } = require('../lib/network-storage');

const USAGE = `usage: novacron-perf peer [--port N] [--bind ADDR] [--json]

  --port N     TCP and UDP port to listen on (default 5301; 0 picks a free one)
  --bind ADDR  address to listen on (default 127.0.0.1; 0.0.0.0 for every interface)
  --json       print machine-readable lines instead of text`;

/** Parses `peer` arguments; throws an Error naming the bad argument. */
function parsePeerArgs(args) {
  const out = { port: 5301, bind: '127.0.0.1', json: false };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const value = () => {
      if (i + 1 >= args.length) throw new Error(`${a}: missing value`);
      return args[++i];
    };
    if (a === '--json') out.json = true;
    else if (a === '--port') {
      const v = value();
      // Digits only here; the port range is the core's rule (startPeer reports it).
      if (!/^\d+$/.test(v)) throw new Error(`--port: got ${JSON.stringify(v)} (accepted: a port number, digits only)`);
      out.port = Number(v);
    } else if (a === '--bind') out.bind = value();
    else if (a === '--help' || a === '-h') out.help = true;
    else throw new Error(`unknown argument ${JSON.stringify(a)}`);
  }
  return out;
}

function runPeer(args) {
  const opts = parsePeerArgs(args);
  if (opts.help) {
    console.log(USAGE);
    return;
  }
  const peer = startPeer({ bind: opts.bind, port: opts.port });
  const say = (event, text, extra = {}) => {
    if (opts.json) console.log(JSON.stringify({ event, address: peer.address, ...extra }));
    else console.log(text);
  };
  say('listening', `novacron-perf peer listening on ${peer.address} (TCP and UDP); stop with Ctrl-C`, { pid: process.pid });
  // The peer's threads are native and do not keep Node running; this timer does.
  const keepAlive = setInterval(() => {}, 1 << 30);
  let stopping = false;
  const stop = (signal) => {
    if (stopping) return;
    stopping = true;
    clearInterval(keepAlive);
    peer.stop();
    say('stopped', `novacron-perf peer stopped (${signal})`, { signal });
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

function main(argv) {
  const [command, ...rest] = argv;
  try {
    if (command === 'peer') return runPeer(rest);
    if (command === undefined || command === '--help' || command === '-h') {
      console.log(USAGE);
      return;
    }
    throw new Error(`unknown command ${JSON.stringify(command)}`);
  } catch (err) {
    console.error(`novacron-perf: ${err.message}\n\n${USAGE}`);
    process.exitCode = 2;
  }
}

main(process.argv.slice(2));
