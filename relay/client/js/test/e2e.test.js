// End-to-end: JavaScript clients against the real Go relay (test/relayfixture), which
// this test builds and starts. Skipped when the Go toolchain is absent.

import assert from 'node:assert/strict';
import { execFile, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { WebSocket } from 'ws';

import { LoginError, Refusal, connect } from '../src/index.js';

const repoRoot = fileURLToPath(new URL('../../../..', import.meta.url));
const goVersion = spawnSync('go', ['version'], { encoding: 'utf8' });
const skip = goVersion.status === 0 ? false : 'the Go toolchain (go) is not installed: cannot build the relay';

/**
 * Records the calls of a callback and waits for the ones to come.
 * @returns {{callback: (value: any) => void, next: () => Promise<any>, values: any[]}}
 */
function recorder() {
  const values = [];
  const waiting = [];
  return {
    values,
    callback: (value) => (waiting.length > 0 ? waiting.shift()(value) : values.push(value)),
    next: () => (values.length > 0 ? Promise.resolve(values.shift()) : new Promise((resolve) => waiting.push(resolve))),
  };
}

/** A ws WebSocket that remembers its instances, so a test can cut a connection. */
class TrackedWebSocket extends WebSocket {
  static instances = [];

  constructor(...args) {
    super(...args);
    TrackedWebSocket.instances.push(this);
  }
}

/**
 * Builds and starts the relay fixture; resolves with its URL, player session ids and
 * a stop function.
 * @returns {Promise<{url: string, playerSessionIds: string[], stop: () => Promise<void>}>}
 */
async function startRelay() {
  const dir = mkdtempSync(join(tmpdir(), 'relayfixture-'));
  const binary = join(dir, 'relayfixture');
  await promisify(execFile)('go', ['build', '-o', binary, './relay/client/js/test/relayfixture'], {
    cwd: repoRoot,
    timeout: 180_000,
  });
  const child = spawn(binary, ['-players', '4'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = once(child, 'exit');
  const lines = createInterface({ input: child.stdout });
  const [line] = await Promise.race([
    once(lines, 'line'),
    exited.then(([code]) => Promise.reject(new Error(`relay fixture exited with code ${code}`))),
  ]);
  const { url, playerSessionIds } = JSON.parse(line);
  return {
    url,
    playerSessionIds,
    stop: async () => {
      child.stdin.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

describe('against the Go relay', { skip, timeout: 200_000 }, () => {
  let relay;
  let alice;
  let bob;
  const aliceEvents = { message: recorder(), connect: recorder(), disconnect: recorder(), group: recorder() };
  const bobEvents = { message: recorder(), group: recorder() };

  before(async () => {
    relay = await startRelay();
  });
  after(async () => {
    await alice?.close();
    await bob?.close();
    await relay?.stop();
  });

  test('two players log in and get distinct peer ids', { timeout: 5000 }, async () => {
    alice = await connect(relay.url, relay.playerSessionIds[0], {
      WebSocket,
      connectPayload: 'alice',
      onMessage: aliceEvents.message.callback,
      onPlayerConnect: aliceEvents.connect.callback,
      onPlayerDisconnect: aliceEvents.disconnect.callback,
      onGroupMembershipUpdate: aliceEvents.group.callback,
    });
    bob = await connect(relay.url, relay.playerSessionIds[1], {
      WebSocket,
      onMessage: bobEvents.message.callback,
      onGroupMembershipUpdate: bobEvents.group.callback,
    });
    assert.ok(alice.peerId > 0);
    assert.ok(bob.peerId > 0);
    assert.notEqual(alice.peerId, bob.peerId);
    assert.equal(await aliceEvents.connect.next(), bob.peerId);
  });

  test('a message to a player', { timeout: 5000 }, async () => {
    alice.send(100, { targetPlayer: bob.peerId, payload: 'hello' });
    const message = await bobEvents.message.next();
    assert.equal(message.opCode, 100);
    assert.equal(message.sender, alice.peerId);
    assert.equal(message.text, 'hello');
    assert.equal(message.reliable, true);
  });

  test('a message with no target reaches every other player, a full-size payload intact', { timeout: 5000 }, async () => {
    const payload = Uint8Array.from({ length: 4096 }, (_, i) => (i * 7) & 0xff);
    bob.send(2, { payload, reliable: false });
    const message = await aliceEvents.message.next();
    assert.equal(message.opCode, 2);
    assert.equal(message.sender, bob.peerId);
    assert.deepEqual(message.payload, payload);
  });

  test('groups: join, membership updates, a group message, leave', { timeout: 5000 }, async () => {
    assert.deepEqual(await alice.joinGroup(7), { group: 7, players: [alice.peerId] });
    await aliceEvents.group.next();
    const both = [alice.peerId, bob.peerId].sort((a, b) => a - b);
    assert.deepEqual(await bob.joinGroup(7), { group: 7, players: both });
    await bobEvents.group.next();
    assert.deepEqual(await aliceEvents.group.next(), { group: 7, players: both });
    assert.deepEqual(await alice.requestGroupMembership(-1), { group: -1, players: both });
    await aliceEvents.group.next();

    bob.send(3, { targetGroup: 7, payload: 'team' });
    const message = await aliceEvents.message.next();
    assert.equal(message.text, 'team');
    assert.equal(message.targetGroup, 7);

    assert.deepEqual(await bob.leaveGroup(7), { group: 7, players: [alice.peerId] });
  });

  test('a message to the server script, answered by it', { timeout: 5000 }, async () => {
    alice.send(5, { targetPlayer: -1, payload: 'go' });
    const message = await aliceEvents.message.next();
    assert.equal(message.opCode, 5);
    assert.equal(message.sender, -1);
    assert.equal(message.text, 'echo:go');
  });

  test('ping measures the round-trip time', { timeout: 5000 }, async () => {
    const rtt = await alice.ping();
    assert.ok(rtt >= 0 && rtt < 1000, `rtt ${rtt} ms`);
  });

  test('a used or unknown player session is refused with its code', { timeout: 5000 }, async () => {
    await assert.rejects(
      connect(relay.url, relay.playerSessionIds[0], { WebSocket }),
      (err) => err instanceof LoginError && err.refusal === Refusal.PLAYER_SESSION_USED,
    );
    await assert.rejects(
      connect(relay.url, 'psess-unknown', { WebSocket }),
      (err) => err instanceof LoginError && err.refusalName === 'unknown_player_session',
    );
  });

  test('a dropped player reconnects with the same peer id', { timeout: 5000 }, async (t) => {
    const closes = recorder();
    const dave = await connect(relay.url, relay.playerSessionIds[3], {
      WebSocket: TrackedWebSocket,
      onClose: closes.callback,
    });
    const peerId = dave.peerId;
    assert.equal(await aliceEvents.connect.next(), peerId);
    if (dave.reconnectGraceMillis === 0) {
      await dave.close();
      assert.equal(await aliceEvents.disconnect.next(), peerId);
      t.skip('this relay offers no reconnect (its login result has no reconnectGraceMillis)');
      return;
    }
    TrackedWebSocket.instances.at(-1).terminate();
    const closed = await closes.next();
    assert.equal(closed.code, 1006);
    assert.equal(closed.canReconnect, true);
    await dave.reconnect();
    assert.equal(dave.peerId, peerId);
    dave.send(6, { targetPlayer: alice.peerId, payload: 'back' });
    const message = await aliceEvents.message.next();
    assert.equal(message.sender, peerId);
    assert.equal(message.text, 'back');
    await dave.close();
    assert.equal(await aliceEvents.disconnect.next(), peerId);
  });

  test('a player who closes is announced to the others', { timeout: 5000 }, async () => {
    const carol = await connect(relay.url, relay.playerSessionIds[2], { WebSocket });
    assert.equal(await aliceEvents.connect.next(), carol.peerId);
    await carol.close();
    assert.equal(await aliceEvents.disconnect.next(), carol.peerId);
  });
});
