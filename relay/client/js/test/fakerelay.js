// A scripted stand-in for the relay, on a real WebSocket server, for the client's
// unit tests: each test decides what the relay answers.

import { once } from 'node:events';
import { WebSocketServer } from 'ws';

import { decodePacket, encodePacket } from '../src/index.js';

/**
 * One client connection to the fake relay.
 * @typedef {Object} FakeConnection
 * @property {import('ws').WebSocket} socket
 * @property {Uint8Array[]} frames every frame received, in order
 * @property {(packet: object) => void} send encodes and sends a packet
 * @property {(bytes: Uint8Array) => void} sendRaw sends bytes as one binary message
 */

/**
 * Starts a fake relay on a free loopback port. onPacket is called with every packet
 * a client sends, the connection it came on and its raw frame.
 * @param {(conn: FakeConnection, packet: import('../src/index.js').Packet, frame: Uint8Array) => void} onPacket
 * @returns {Promise<{url: string, connections: FakeConnection[], close: () => Promise<void>}>}
 */
export async function startFakeRelay(onPacket) {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await once(server, 'listening');
  const connections = [];
  server.on('connection', (socket) => {
    const conn = {
      socket,
      frames: [],
      send: (packet) => socket.send(encodePacket(packet)),
      sendRaw: (bytes) => socket.send(bytes),
    };
    connections.push(conn);
    socket.on('message', (data) => {
      const frame = new Uint8Array(data);
      conn.frames.push(frame);
      onPacket(conn, decodePacket(frame), frame);
    });
  });
  return {
    url: `ws://127.0.0.1:${server.address().port}/websocket`,
    connections,
    close: () =>
      new Promise((resolve) => {
        for (const client of server.clients) client.terminate();
        server.close(() => resolve());
      }),
  };
}

/**
 * The packet of a successful login result for peerId.
 * @param {number} peerId
 * @param {string} reconnectToken
 * @returns {object}
 */
export function loginSuccess(peerId, reconnectToken = 'rt') {
  return {
    opCode: -1,
    targetPlayer: peerId,
    sender: -1,
    reliable: true,
    loginResult: { success: true, peerId, reconnectToken, connectToken: 'c', reconnectGraceMillis: 30000 },
  };
}
