import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import {
  ErrorKind,
  MESSAGE_MEMBERS,
  Messages,
  OpCode,
  ProtocolError,
  Refusal,
  decodeMessage,
  decodePacket,
  encodeMessage,
  encodePacket,
  refusalName,
} from '../src/index.js';
import { docFrames, fromHex, toHex } from './docframes.js';

/**
 * Prefixes a packet body given in hex with its length.
 * @param {string} bodyHex
 * @returns {Uint8Array}
 */
function frameOf(bodyHex) {
  const body = bodyHex === '' ? new Uint8Array(0) : fromHex(bodyHex);
  assert.ok(body.length < 128, 'frameOf handles one-byte prefixes only');
  return Uint8Array.of(body.length, ...body);
}

/**
 * Asserts that decoding frame fails with a ProtocolError of kind whose message is message.
 * @param {Uint8Array} frame
 * @param {string} kind
 * @param {string|RegExp} message
 */
function assertDecodeError(frame, kind, message) {
  assert.throws(
    () => decodePacket(frame),
    (err) => {
      assert.ok(err instanceof ProtocolError, `want a ProtocolError, got ${err}`);
      assert.equal(err.kind, kind);
      if (typeof message === 'string') assert.equal(err.message, message);
      else assert.match(err.message, message);
      return true;
    },
  );
}

describe('docs/protocol.md examples', () => {
  const frames = docFrames();

  test('the document has every example', () => {
    assert.ok(frames.length >= 20, `found ${frames.length} hex frames in docs/protocol.md`);
  });

  for (const { hex, bytes, section } of frames) {
    test(`section ${section.split(' ')[0]}: ${hex}`, () => {
      const packet = decodePacket(bytes);
      assert.equal(toHex(encodePacket(packet)), hex);
    });
  }

  test('the stock login decodes to the fields the document gives', () => {
    const login = frames.find((f) => f.section.startsWith('5.1'));
    const packet = decodePacket(login.bytes);
    assert.equal(packet.opCode, OpCode.LOGIN);
    assert.equal(packet.targetPlayer, -1);
    assert.equal(packet.reliable, true);
    assert.equal(new TextDecoder().decode(packet.payload), 'tok');
    assert.deepEqual(packet.login, { playerSessionId: 'psess-1', clientVersion: 2, reconnectToken: '', extensionVersion: 0 });
  });

  test('the refusal and the ping result decode to the fields the document gives', () => {
    const refusal = frames.filter((f) => f.section.startsWith('5.2'))[1];
    const result = decodePacket(refusal.bytes).loginResult;
    assert.equal(result.success, false);
    assert.equal(result.refusal, Refusal.SESSION_FULL);
    assert.equal(refusalName(result.refusal), 'session_full');
    assert.equal(result.message, 'full');
    const pong = frames.filter((f) => f.section.startsWith('5.3'))[1];
    assert.deepEqual(decodePacket(pong.bytes).pingResult, { id: 1, clientTime: 1000n, serverTime: 2000n });
  });
});

describe('encoding', () => {
  test('int32 is sign-extended to 10 bytes, sint32 is zigzag', () => {
    assert.equal(toHex(encodePacket({ targetPlayer: -1 })), '0b 18 ff ff ff ff ff ff ff ff ff 01');
    assert.equal(toHex(encodePacket({ opCode: -5 })), '02 08 09');
    assert.equal(toHex(encodePacket({ opCode: 100 })), '03 08 c8 01');
    assert.equal(toHex(encodePacket({ opCode: -(2 ** 31) })), '06 08 ff ff ff ff 0f');
  });

  test('zero values are left out, the selected member is written even when empty', () => {
    assert.equal(toHex(encodePacket({})), '00');
    assert.equal(toHex(encodePacket({ opCode: 0, reliable: false, payload: new Uint8Array(0), udpConnect: {} })), '03 92 02 00');
  });

  test('a frame of more than 127 bytes has a two-byte length prefix', () => {
    const frame = encodePacket({ payload: new Uint8Array(200) });
    assert.equal(toHex(frame.subarray(0, 5)), 'cb 01 7a c8 01');
    assert.equal(decodePacket(frame).payload.length, 200);
  });

  test('fields of the wrong type or range are refused', () => {
    assert.throws(() => encodePacket({ opCode: 1.5 }), RangeError);
    assert.throws(() => encodePacket({ targetPlayer: 2 ** 31 }), /packet.targetPlayer: 2147483648 is not an int32/);
    assert.throws(() => encodePacket({ reliable: 1 }), TypeError);
    assert.throws(() => encodePacket({ payload: 'text' }), /packet.payload: not a Uint8Array/);
    assert.throws(() => encodePacket({ ping: { id: -1 } }), /packet.ping.id: -1 is not a uint32/);
    assert.throws(() => encodePacket({ ping: { clientTime: 2n ** 63n } }), RangeError);
    assert.throws(() => encodePacket({ login: {}, ping: {} }), /more than one message member is set \(login, ping\)/);
  });
});

describe('round trips', () => {
  const samples = {
    LoginCommand: { playerSessionId: 'psess-ünï', clientVersion: 2, reconnectToken: 'rt', extensionVersion: 1 },
    LoginResult: {
      success: true,
      reconnectToken: 'r',
      peerId: 200,
      fastPort: 65535,
      caCert: new TextEncoder().encode('-----BEGIN CERTIFICATE-----'),
      connectToken: 'c',
      refusal: Refusal.RECONNECT_FAILED,
      message: 'no',
      reconnectGraceMillis: 30000,
    },
    PingCommand: { id: 2 ** 32 - 1, clientTime: -(2n ** 63n) },
    PingResult: { id: 7, clientTime: 2n ** 63n - 1n, serverTime: 1_764_000_000_000_000_000n },
    UDPConnectMessage: { connectToken: 'c' },
    PlayerConnectMessage: { peerId: 4 },
    PlayerDisconnectMessage: { peerId: 2 ** 31 - 1 },
    VerifyIdentityCommand: { peerId: 3, connectToken: 'c' },
    VerifyIdentityResult: { success: true, peerId: 3 },
    JoinGroup: { group: 2 },
    LeaveGroup: { group: 9 },
    RequestGroupMembership: { group: -1 },
    GroupMembershipUpdate: { group: -1, players: [0, 1, 3, 2 ** 31 - 1, -5] },
  };

  for (const [name, value] of Object.entries(samples)) {
    test(name, () => {
      assert.deepEqual(decodeMessage(Messages[name], encodeMessage(Messages[name], value)), value);
    });
  }

  test('a Packet with every field, for every message member', () => {
    const memberTypes = Object.fromEntries(Messages.Packet.fields.filter((f) => f.oneof).map((f) => [f.name, f.message.name]));
    for (const member of MESSAGE_MEMBERS) {
      const packet = {
        opCode: -(2 ** 31),
        sequenceNumber: 2 ** 31 - 1,
        targetPlayer: -1,
        targetGroup: 5,
        sender: 3,
        reliable: true,
        clientVersion: 7,
        payload: Uint8Array.from({ length: 4096 }, (_, i) => i & 0xff),
        [member]: samples[memberTypes[member]],
      };
      assert.deepEqual(decodePacket(encodePacket(packet)), packet);
    }
  });

  test('a Packet without a member decodes without one', () => {
    const packet = decodePacket(encodePacket({ opCode: 100, payload: new Uint8Array([1]) }));
    assert.deepEqual(
      MESSAGE_MEMBERS.filter((m) => m in packet),
      [],
    );
  });
});

describe('decoding rules', () => {
  test('unknown fields of every wire type are skipped, groups included', () => {
    // field 99 as varint, fixed64, bytes, a group holding a nested group, fixed32; then opCode 100
    const frame = frameOf(
      '98 06 96 01 ' +
        '99 06 01 02 03 04 05 06 07 08 ' +
        '9a 06 02 aa bb ' +
        '9b 06 08 01 a3 06 10 02 a4 06 9c 06 ' +
        '9d 06 01 02 03 04 ' +
        '08 c8 01',
    );
    assert.equal(decodePacket(frame).opCode, 100);
  });

  test('unknown fields inside inner messages are skipped', () => {
    // loginResult{success, field 200 = "x", peerId 3}
    const packet = decodePacket(frameOf('fa 01 08 08 01 c2 0c 01 78 18 03'));
    assert.equal(packet.loginResult.success, true);
    assert.equal(packet.loginResult.peerId, 3);
  });

  test('fields in any order, the last value of a scalar wins', () => {
    const packet = decodePacket(frameOf('7a 02 68 69 08 02 08 c8 01'));
    assert.equal(packet.opCode, 100);
    assert.equal(new TextDecoder().decode(packet.payload), 'hi');
  });

  test('a repeated member is merged, a different member replaces it', () => {
    const merged = decodePacket(frameOf('fa 01 02 08 01 fa 01 02 18 03'));
    assert.equal(merged.loginResult.success, true);
    assert.equal(merged.loginResult.peerId, 3);
    const replaced = decodePacket(frameOf('c2 02 02 08 02 ca 02 02 08 05'));
    assert.equal(replaced.joinGroup, undefined);
    assert.deepEqual(replaced.leaveGroup, { group: 5 });
  });

  test('players may be packed, unpacked or both', () => {
    const packet = decodePacket(frameOf('da 02 0a 08 02 10 01 12 02 03 04 10 05'));
    assert.deepEqual(packet.groupMembershipUpdate, { group: 2, players: [1, 3, 4, 5] });
  });

  test('bool and int32 read a full 64-bit varint', () => {
    const packet = decodePacket(frameOf('30 80 80 80 80 10 18 ff ff ff ff 0f'));
    assert.equal(packet.reliable, true);
    assert.equal(packet.targetPlayer, -1);
  });
});

describe('decoding errors', () => {
  test('empty input', () => {
    assertDecodeError(new Uint8Array(0), ErrorKind.TRUNCATED, 'frame.length: truncated varint');
  });

  test('frame shorter than its prefix says', () => {
    assertDecodeError(fromHex('05 08 02'), ErrorKind.TRUNCATED, 'frame.length: length 5 exceeds the remaining 2 bytes');
  });

  test('bytes after the packet', () => {
    assertDecodeError(fromHex('02 08 02 00'), ErrorKind.MALFORMED, 'frame: 1 trailing bytes after the packet');
  });

  test('every truncation of every document example fails cleanly', () => {
    for (const { bytes } of docFrames()) {
      for (let n = 0; n < bytes.length; n++) {
        assert.throws(() => decodePacket(bytes.subarray(0, n)), ProtocolError);
      }
    }
  });

  test('truncated inside the packet, with a consistent prefix', () => {
    assertDecodeError(frameOf('08 ff'), ErrorKind.TRUNCATED, 'packet.opCode: truncated varint');
    assertDecodeError(frameOf('7a 05 68 69'), ErrorKind.TRUNCATED, 'packet.payload: length 5 exceeds the remaining 2 bytes');
    assertDecodeError(frameOf('9b 06 08 01'), ErrorKind.TRUNCATED, /packet.field 99: truncated unknown field \(start group\)/);
    assertDecodeError(frameOf('99 06 01 02'), ErrorKind.TRUNCATED, 'packet.field 99: truncated unknown field (fixed64)');
  });

  test('a varint longer than 64 bits', () => {
    assertDecodeError(frameOf('08 ff ff ff ff ff ff ff ff ff 02'), ErrorKind.MALFORMED, /packet.opCode: malformed varint/);
    assertDecodeError(frameOf('08 ff ff ff ff ff ff ff ff ff ff 01'), ErrorKind.MALFORMED, /packet.opCode: malformed varint/);
  });

  test('field number 0, reserved wire types, a stray end group', () => {
    assertDecodeError(frameOf('00 00'), ErrorKind.MALFORMED, 'packet.tag: invalid field number 0');
    assertDecodeError(frameOf('9e 06'), ErrorKind.MALFORMED, /packet.field 99: malformed unknown field/);
    assertDecodeError(frameOf('9c 06'), ErrorKind.MALFORMED, /packet.field 99: malformed unknown field/);
    assertDecodeError(frameOf('9b 06 94 06'), ErrorKind.MALFORMED, /mismatching end group marker/);
  });

  test('a known field with the wrong wire type', () => {
    assertDecodeError(frameOf('0a 01 00'), ErrorKind.WIRE_TYPE, 'packet.opCode: wire type bytes, want varint');
    assertDecodeError(frameOf('78 01'), ErrorKind.WIRE_TYPE, 'packet.payload: wire type varint, want bytes');
    assertDecodeError(frameOf('f0 01 00'), ErrorKind.WIRE_TYPE, 'packet.login: wire type varint, want bytes');
    assertDecodeError(frameOf('da 02 02 15 00'), ErrorKind.WIRE_TYPE, /packet.groupMembershipUpdate.players: wire type fixed32/);
  });

  test('an oversized payload, string, certificate or frame', () => {
    assertDecodeError(
      encodePacket({ opCode: 1, payload: new Uint8Array(5000) }),
      ErrorKind.TOO_LARGE,
      'packet.payload: length 5000 exceeds 4096',
    );
    assertDecodeError(
      encodePacket({ login: { playerSessionId: 'p'.repeat(1025) } }),
      ErrorKind.TOO_LARGE,
      'packet.login.playerSessionId: length 1025 exceeds 1024',
    );
    assertDecodeError(
      encodePacket({ loginResult: { caCert: new Uint8Array(8193) } }),
      ErrorKind.TOO_LARGE,
      'packet.loginResult.caCert: length 8193 exceeds 8192',
    );
    assertDecodeError(new Uint8Array(16385), ErrorKind.TOO_LARGE, 'frame: length 16385 exceeds 16384');
  });

  test('a string that is not UTF-8', () => {
    assertDecodeError(frameOf('f2 01 03 0a 01 ff'), ErrorKind.MALFORMED, 'packet.login.playerSessionId: invalid UTF-8');
  });
});
