import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, test } from 'node:test';
import { WebSocket } from 'ws';

import { LoginError, OpCode, ProtocolError, Refusal, connect, decodePacket, encodePacket } from '../src/index.js';
import { docFrames, toHex } from './docframes.js';
import { loginSuccess, startFakeRelay } from './fakerelay.js';

const frames = docFrames();
/** @param {string} section @param {number} index @returns {Uint8Array} */
const docFrame = (section, index) => frames.filter((f) => f.section.startsWith(section))[index].bytes;

/**
 * Resolves with the next call of a callback.
 * @returns {{callback: (value: any) => void, next: () => Promise<any>}}
 */
function recorder() {
  const values = [];
  const waiting = [];
  return {
    callback: (value) => (waiting.length > 0 ? waiting.shift()(value) : values.push(value)),
    next: () => (values.length > 0 ? Promise.resolve(values.shift()) : new Promise((resolve) => waiting.push(resolve))),
  };
}

describe('login', () => {
  let relay;
  before(async () => {
    relay = await startFakeRelay((conn, packet) => {
      if (packet.opCode !== OpCode.LOGIN) return;
      switch (packet.login.playerSessionId) {
        case 'full':
          conn.send({ opCode: -1, sender: -1, reliable: true, loginResult: { refusal: Refusal.SESSION_FULL, message: 'full' } });
          conn.socket.close(4000, 'session_full');
          break;
        case 'close-only':
          conn.socket.close(4000, 'player_session_used');
          break;
        case 'silent':
          break;
        case 'not-a-result':
          conn.send({ opCode: 100, payload: new Uint8Array([1]) });
          break;
        default:
          conn.send(loginSuccess(3));
      }
    });
  });
  after(() => relay.close());

  test('sends op 0 with the Matchpoint extensions and takes its peer id from the result', async () => {
    const client = await connect(relay.url, 'psess-1', { WebSocket, connectPayload: 'tok' });
    assert.equal(client.peerId, 3);
    assert.equal(client.connected, true);
    assert.equal(client.reconnectGraceMillis, 30000);
    const frame = relay.connections.at(-1).frames[0];
    assert.deepEqual(decodePacket(frame), {
      opCode: 0,
      sequenceNumber: 0,
      targetPlayer: -1,
      targetGroup: 0,
      sender: 0,
      reliable: true,
      clientVersion: 0,
      payload: new TextEncoder().encode('tok'),
      login: { playerSessionId: 'psess-1', clientVersion: 2, reconnectToken: '', extensionVersion: 1 },
    });
    await client.close();
  });

  test('a refusal rejects with its code and message', async () => {
    await assert.rejects(connect(relay.url, 'full', { WebSocket }), (err) => {
      assert.ok(err instanceof LoginError);
      assert.equal(err.refusal, Refusal.SESSION_FULL);
      assert.equal(err.refusalName, 'session_full');
      assert.equal(err.relayMessage, 'full');
      assert.equal(err.message, 'relay client: login refused: session_full: full');
      return true;
    });
  });

  test('a close 4000 without a result is a refusal named by the close reason', async () => {
    await assert.rejects(connect(relay.url, 'close-only', { WebSocket }), (err) => {
      assert.ok(err instanceof LoginError);
      assert.equal(err.refusal, Refusal.PLAYER_SESSION_USED);
      return true;
    });
  });

  test('no login result in time', async () => {
    await assert.rejects(connect(relay.url, 'silent', { WebSocket, loginTimeout: 100 }), /no login result within 100 ms/);
  });

  test('a first packet other than the login result', async () => {
    await assert.rejects(connect(relay.url, 'not-a-result', { WebSocket }), /expected a login result, got op code 100/);
  });

  test('no relay listening: the error says why, with the WebSocket error as its cause', async () => {
    await assert.rejects(connect('ws://127.0.0.1:1/websocket', 'psess-1', { WebSocket }), (err) => {
      assert.match(err.message, /connection closed before the login result \(code 1006\): connect ECONNREFUSED/);
      assert.equal(err.cause.code, 'ECONNREFUSED');
      return true;
    });
  });

  test('invalid arguments', async () => {
    await assert.rejects(connect(relay.url, '', { WebSocket }), TypeError);
    await assert.rejects(connect(relay.url, 'p'.repeat(1025), { WebSocket }), RangeError);
    await assert.rejects(connect(relay.url, 'psess-1', { WebSocket, connectPayload: new Uint8Array(4097) }), /connectPayload is 4097 bytes/);
    await assert.rejects(connect(relay.url, 'psess-1', { WebSocket, connectPayload: 42 }), TypeError);
    await assert.rejects(connect(relay.url, 'psess-1', { WebSocket: 'none' }), /no WebSocket implementation/);
  });
});

describe('a logged-in client', () => {
  let relay;
  let received = [];
  before(async () => {
    relay = await startFakeRelay((conn, packet, frame) => {
      received.push({ conn, packet, frame });
      if (packet.opCode === OpCode.LOGIN) conn.send(loginSuccess(3));
      if (packet.opCode === OpCode.PING && packet.ping.id !== 99) {
        conn.send({ opCode: OpCode.PING_RESULT, sender: -1, reliable: true, pingResult: { ...packet.ping, serverTime: 5n } });
      }
      if (packet.opCode === OpCode.JOIN_GROUP) conn.sendRaw(docFrame('5.7', 3));
      if (packet.opCode === OpCode.REQUEST_GROUP_MEMBERSHIP) {
        conn.send({ opCode: -13, sender: -1, reliable: true, groupMembershipUpdate: { group: -1, players: [1, 3] } });
      }
    });
  });
  after(() => relay.close());

  /** Connects a client with recorders for every callback. */
  async function connected() {
    received = [];
    const events = { message: recorder(), connect: recorder(), disconnect: recorder(), group: recorder(), close: recorder(), error: recorder() };
    const client = await connect(relay.url, 'psess-1', {
      WebSocket,
      onMessage: events.message.callback,
      onPlayerConnect: events.connect.callback,
      onPlayerDisconnect: events.disconnect.callback,
      onGroupMembershipUpdate: events.group.callback,
      onClose: events.close.callback,
      onError: events.error.callback,
      requestTimeout: 200,
    });
    return { client, events, conn: relay.connections.at(-1) };
  }

  /** Waits for the next packet the relay receives after the login. */
  async function nextReceived(count) {
    while (received.length < count) await new Promise((resolve) => setTimeout(resolve, 5));
    return received[count - 1];
  }

  test('send writes the frame of the document, byte for byte', async () => {
    const { client } = await connected();
    client.send(5, { targetPlayer: -1, payload: 'go' });
    const { frame } = await nextReceived(2);
    assert.equal(toHex(frame), toHex(docFrame('5.8', 2)));
    await client.close();
  });

  test('send carries targets, binary payloads and the fast intent over the WebSocket', async () => {
    const { client } = await connected();
    client.send(7, { targetGroup: 4, payload: new Uint8Array([0, 255]), reliable: false });
    client.send(8);
    const first = (await nextReceived(2)).packet;
    assert.equal(first.opCode, 7);
    assert.equal(first.targetGroup, 4);
    assert.equal(first.sender, 3);
    assert.equal(first.reliable, true);
    assert.deepEqual(first.payload, new Uint8Array([0, 255]));
    const second = (await nextReceived(3)).packet;
    assert.equal(second.targetPlayer, 0);
    assert.equal(second.targetGroup, 0);
    assert.equal(second.payload.length, 0);
    await client.close();
  });

  test('send refuses invalid op codes, targets and payloads', async () => {
    const { client } = await connected();
    for (const opCode of [0, -1, -13, 1.5, 2 ** 31, '5', undefined]) {
      assert.throws(() => client.send(opCode), /opCode must be a developer op code, an integer from 1 to 2147483647/);
    }
    assert.throws(() => client.send(1, { payload: new Uint8Array(4097) }), /payload is 4097 bytes, more than the 4096 allowed/);
    assert.throws(() => client.send(1, { payload: 'é'.repeat(2049) }), /payload is 4098 bytes/);
    assert.throws(() => client.send(1, { payload: 12 }), TypeError);
    assert.throws(() => client.send(1, { targetPlayer: -2 }), /targetPlayer must be an integer from -1 to 2147483647/);
    assert.throws(() => client.send(1, { targetGroup: 1.5 }), RangeError);
    assert.throws(() => client.send(1, { reliable: 'yes' }), TypeError);
    client.send(1, { payload: new Uint8Array(4096) });
    assert.equal((await nextReceived(2)).packet.payload.length, 4096);
    await client.close();
  });

  test('messages and player notices reach the callbacks', async () => {
    const { client, events, conn } = await connected();
    conn.sendRaw(docFrame('5.8', 3));
    conn.sendRaw(docFrame('5.5', 0));
    conn.sendRaw(docFrame('5.5', 1));
    const message = await events.message.next();
    assert.equal(message.opCode, 113);
    assert.equal(message.sender, -1);
    assert.equal(message.targetPlayer, 3);
    assert.equal(message.reliable, true);
    assert.equal(message.text, 'ok');
    assert.equal(await events.connect.next(), 4);
    assert.equal(await events.disconnect.next(), 4);
    await client.close();
  });

  test('joinGroup sends op -10 and resolves with the membership update', async () => {
    const { client, events } = await connected();
    const membership = await client.joinGroup(2);
    assert.deepEqual(membership, { group: 2, players: [1, 3] });
    assert.deepEqual(await events.group.next(), { group: 2, players: [1, 3] });
    const { packet } = await nextReceived(2);
    assert.equal(packet.opCode, OpCode.JOIN_GROUP);
    assert.equal(packet.targetPlayer, -1);
    assert.equal(packet.sender, 3);
    assert.deepEqual(packet.joinGroup, { group: 2 });
    assert.deepEqual(await client.requestGroupMembership(-1), { group: -1, players: [1, 3] });
    await client.close();
  });

  test('group calls refuse invalid groups, and time out without an answer', async () => {
    const { client } = await connected();
    assert.throws(() => client.joinGroup(0), /group must be an integer from 1/);
    assert.throws(() => client.joinGroup(-1), RangeError);
    assert.throws(() => client.leaveGroup(2 ** 31), RangeError);
    assert.throws(() => client.requestGroupMembership(-2), RangeError);
    await assert.rejects(client.leaveGroup(6), /no membership update for group 6 in time/);
    const { packet } = await nextReceived(2);
    assert.deepEqual(packet.leaveGroup, { group: 6 });
    await client.close();
  });

  test('ping sends op -2 and resolves with the round-trip time', async () => {
    const { client } = await connected();
    const rtt = await client.ping();
    assert.ok(rtt >= 0 && rtt < 1000, `rtt ${rtt}`);
    const { packet } = await nextReceived(2);
    assert.equal(packet.opCode, OpCode.PING);
    assert.equal(packet.targetPlayer, -1);
    assert.equal(packet.sender, 3);
    assert.equal(packet.ping.id, 1);
    assert.ok(packet.ping.clientTime > 0n);
    await client.close();
  });

  test('close rejects what waits, calls onClose and stops sending', async () => {
    const { client, events } = await connected();
    for (let i = 0; i < 98; i++) await client.ping();
    const unanswered = client.ping();
    await client.close('bye');
    await assert.rejects(unanswered, /connection closed \(code 1000\)/);
    assert.deepEqual(await events.close.next(), { code: 1000, reason: 'bye', wasClean: true, canReconnect: false });
    assert.equal(client.connected, false);
    assert.throws(() => client.send(1), /not connected/);
    await assert.rejects(client.reconnect(), /closed for good/);
    await client.close();
  });

  test('an undecodable frame is reported and closes the connection', async () => {
    const { events, conn } = await connected();
    conn.sendRaw(new Uint8Array([5, 8]));
    const err = await events.error.next();
    assert.ok(err instanceof ProtocolError);
    assert.equal(err.message, 'frame.length: length 5 exceeds the remaining 1 bytes');
    assert.equal((await events.close.next()).code, 1000);
  });

  test('what a callback throws goes to onError', async () => {
    const errors = recorder();
    const client = await connect(relay.url, 'psess-1', {
      WebSocket,
      onPlayerConnect: () => {
        throw new Error('game bug');
      },
      onError: errors.callback,
    });
    relay.connections.at(-1).sendRaw(docFrame('5.5', 0));
    assert.equal((await errors.next()).message, 'game bug');
    await client.close();
  });
});

describe('reconnect', () => {
  let relay;
  let logins = 0;
  let answeredSlow = false;
  before(async () => {
    relay = await startFakeRelay((conn, packet) => {
      if (packet.opCode !== OpCode.LOGIN) return;
      logins++;
      const token = packet.login.reconnectToken;
      if (token === 'never') return;
      if (packet.login.playerSessionId === 'psess-never' && token === '') {
        conn.send(loginSuccess(6, 'never'));
      } else if (packet.login.playerSessionId === 'psess-slow' && token === '') {
        conn.send(loginSuccess(5, 'slow'));
      } else if (token === 'slow' && !answeredSlow) {
        answeredSlow = true;
      } else if (token === 'slow') {
        conn.send(loginSuccess(5, 'slow2'));
      } else if (token === '') {
        conn.send(loginSuccess(3, 'rt'));
      } else if (token === 'rt') {
        conn.send(loginSuccess(3, 'rt2'));
      } else {
        conn.send({ opCode: -1, sender: -1, reliable: true, loginResult: { refusal: Refusal.RECONNECT_FAILED, message: 'too late' } });
        conn.socket.close(4000, 'reconnect_failed');
      }
    });
  });
  after(() => relay.close());

  test('after a drop, resumes the same peer with the token, as the document shows', async () => {
    const closes = recorder();
    const client = await connect(relay.url, 'psess-1', { WebSocket, onClose: closes.callback });
    relay.connections.at(-1).socket.terminate();
    const closed = await closes.next();
    assert.equal(closed.code, 1006);
    assert.equal(closed.canReconnect, true);
    assert.equal(client.canReconnect, true);
    assert.equal(await client.reconnect(), client);
    assert.equal(client.connected, true);
    assert.equal(client.peerId, 3);
    assert.equal(toHex(relay.connections.at(-1).frames[0]), toHex(docFrame('5.1', 1)));

    client.send(1, { payload: 'again' });
    await once(relay.connections.at(-1).socket, 'message');
    assert.equal(decodePacket(relay.connections.at(-1).frames[1]).opCode, 1);

    relay.connections.at(-1).socket.terminate();
    await closes.next();
    await assert.rejects(client.reconnect(), (err) => err instanceof LoginError && err.refusal === Refusal.RECONNECT_FAILED);
    assert.equal(client.canReconnect, false);
    await assert.rejects(client.reconnect(), /closed for good/);
  });

  test('on a connection that still looks open, replaces it', async () => {
    const client = await connect(relay.url, 'psess-1', { WebSocket });
    const old = relay.connections.at(-1).socket;
    const oldClosed = once(old, 'close');
    await client.reconnect();
    const [code] = await oldClosed;
    assert.equal(code, 4003);
    assert.equal(client.connected, true);
    await client.close();
  });

  test('a reconnect that times out can be tried again', async () => {
    const closes = recorder();
    const client = await connect(relay.url, 'psess-slow', { WebSocket, onClose: closes.callback, loginTimeout: 150 });
    relay.connections.at(-1).socket.terminate();
    await closes.next();
    await assert.rejects(client.reconnect(), /no login result within 150 ms/);
    assert.equal(client.canReconnect, true);
    await client.reconnect();
    assert.equal(client.peerId, 5);
    assert.equal(client.connected, true);
    await client.close();
  });

  test('close during a reconnect ends the client', async () => {
    const closes = recorder();
    const client = await connect(relay.url, 'psess-never', { WebSocket, onClose: closes.callback });
    relay.connections.at(-1).socket.terminate();
    await closes.next();
    const connections = relay.connections.length;
    const reconnecting = client.reconnect();
    while (relay.connections.length === connections || relay.connections.at(-1).frames.length === 0) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const refused = assert.rejects(reconnecting, /closed during login/);
    await client.close();
    await refused;
    assert.equal(client.canReconnect, false);
    await assert.rejects(client.reconnect(), /closed for good/);
  });

  test('not after a kick', async () => {
    const closes = recorder();
    const client = await connect(relay.url, 'psess-1', { WebSocket, onClose: closes.callback });
    relay.connections.at(-1).socket.close(4001, 'cheating');
    assert.deepEqual(await closes.next(), { code: 4001, reason: 'cheating', wasClean: true, canReconnect: false });
    const loginsBefore = logins;
    await assert.rejects(client.reconnect(), /closed for good/);
    assert.equal(logins, loginsBefore);
  });
});

test('encodePacket and the client agree on the login of a stock-shaped packet', () => {
  const frame = encodePacket({
    opCode: 0,
    targetPlayer: -1,
    reliable: true,
    payload: new TextEncoder().encode('tok'),
    login: { playerSessionId: 'psess-1', clientVersion: 2 },
  });
  assert.equal(toHex(frame), toHex(docFrame('5.1', 0)));
});
