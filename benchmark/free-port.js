'use strict';
/** A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0, then closed). */
const net = require('node:net');

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

module.exports = { freePort };
