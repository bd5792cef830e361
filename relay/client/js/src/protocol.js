// The relay client protocol of docs/protocol.md: constants, the message schemas of
// relay/protocol/realtime.proto, and a codec driven by those schemas. A frame is the
// Packet's length as a varint followed by the Packet.

import { ErrorKind, ProtocolError, Reader, WireType, Writer, wireTypeName } from './wire.js';

/** Op codes (docs/protocol.md section 4). Internal op codes are <= 0; developer op codes are > 0. */
export const OpCode = Object.freeze({
  LOGIN: 0,
  LOGIN_RESULT: -1,
  PING: -2,
  PING_RESULT: -3,
  UDP_CONNECT: -5,
  UDP_CONNECT_SERVER_ACK: -6,
  UDP_CONNECT_CLIENT_ACK: -7,
  PLAYER_READY: -8,
  JOIN_GROUP: -10,
  LEAVE_GROUP: -11,
  REQUEST_GROUP_MEMBERSHIP: -12,
  GROUP_MEMBERSHIP_UPDATE: -13,
  VERIFY_IDENTITY: -14,
  VERIFY_IDENTITY_RESULT: -15,
  PLAYER_CONNECT: -101,
  PLAYER_DISCONNECT: -103,
  GAME_START: -1000,
  GAME_END: -1001,
  NULL: -99999,
});

/** The peer id of the server: target of messages for the server script, sender of server packets. */
export const PEER_SERVER = -1;
/** "No player": the targetPlayer of a message that targets none. */
export const PEER_NONE = 0;
/** The group every logged-in player is in. */
export const GROUP_ALL_PLAYERS = -1;
/** "No group": the targetGroup of a message that targets none. */
export const GROUP_NONE = 0;
/** The smallest developer op code. */
export const MIN_DEVELOPER_OP_CODE = 1;
/** The largest developer op code (the largest int32). */
export const MAX_DEVELOPER_OP_CODE = 2 ** 31 - 1;
/** LoginCommand.clientVersion of the Realtime client SDK 1.2, which this client also sends. */
export const CLIENT_VERSION_REALTIME = 2;
/** LoginCommand.extensionVersion of clients that speak the Matchpoint extensions. */
export const EXTENSION_VERSION = 1;

/** Largest Packet.payload, in bytes, on any channel. */
export const MAX_PAYLOAD_SIZE = 4096;
/** Largest payload of a developer message sent over UDP (not used by this WebSocket-only client). */
export const MAX_UDP_PAYLOAD_SIZE = 1200;
/** Largest frame, length prefix included, in bytes. */
export const MAX_FRAME_SIZE = 16384;
/** Largest string field (player session id, tokens, messages), in bytes. */
export const MAX_STRING_SIZE = 1024;
/** Largest LoginResult.caCert, in bytes. */
export const MAX_CA_CERT_SIZE = 8192;

/** Login refusal codes (LoginResult.refusal, docs/protocol.md section 7.1). */
export const Refusal = Object.freeze({
  NONE: 0,
  UNKNOWN_PLAYER_SESSION: 1,
  PLAYER_SESSION_EXPIRED: 2,
  PLAYER_SESSION_USED: 3,
  SESSION_FULL: 4,
  REJECTED_BY_SCRIPT: 5,
  SESSION_ENDED: 6,
  RECONNECT_FAILED: 7,
  MALFORMED_LOGIN: 8,
  RATE_LIMITED: 9,
  LOGIN_TIMEOUT: 10,
});

/**
 * Returns the snake_case name of a refusal code ("session_full"), as the relay puts
 * it in the reason of its close frame; "refusal(N)" for an unknown code.
 * @param {number} code a LoginResult.refusal value
 * @returns {string}
 */
export function refusalName(code) {
  const entry = Object.entries(Refusal).find(([, value]) => value === code);
  return entry ? entry[0].toLowerCase() : `refusal(${code})`;
}

/** WebSocket close codes the relay uses (docs/protocol.md section 12). */
export const CloseCode = Object.freeze({
  NORMAL: 1000,
  GOING_AWAY: 1001,
  PROTOCOL_ERROR: 1002,
  ABNORMAL: 1006,
  POLICY_VIOLATION: 1008,
  MESSAGE_TOO_BIG: 1009,
  LOGIN_REFUSED: 4000,
  KICKED: 4001,
  SESSION_ENDED: 4002,
  REPLACED: 4003,
  IDLE: 4004,
});

/**
 * @typedef {'int32'|'uint32'|'sint32'|'int64'|'bool'|'string'|'bytes'|'packedInt32'|'message'} FieldType
 * @typedef {{number: number, name: string, type: FieldType, limit?: number, message?: MessageType, oneof?: boolean}} Field
 * @typedef {{name: string, fields: Field[], byNumber: Map<number, Field>}} MessageType
 */

/**
 * @param {string} name
 * @param {Field[]} fields in field-number order
 * @returns {MessageType}
 */
function messageType(name, fields) {
  return Object.freeze({ name, fields, byNumber: new Map(fields.map((f) => [f.number, f])) });
}

const oneInt32 = (name) => [{ number: 1, name, type: 'int32' }];

/** The schemas of realtime.proto, by message name. */
export const Messages = {
  LoginCommand: messageType('LoginCommand', [
    { number: 1, name: 'playerSessionId', type: 'string' },
    { number: 2, name: 'clientVersion', type: 'int32' },
    { number: 100, name: 'reconnectToken', type: 'string' },
    { number: 101, name: 'extensionVersion', type: 'int32' },
  ]),
  LoginResult: messageType('LoginResult', [
    { number: 1, name: 'success', type: 'bool' },
    { number: 2, name: 'reconnectToken', type: 'string' },
    { number: 3, name: 'peerId', type: 'int32' },
    { number: 4, name: 'fastPort', type: 'int32' },
    { number: 5, name: 'caCert', type: 'bytes', limit: MAX_CA_CERT_SIZE },
    { number: 6, name: 'connectToken', type: 'string' },
    { number: 100, name: 'refusal', type: 'int32' },
    { number: 101, name: 'message', type: 'string' },
    { number: 102, name: 'reconnectGraceMillis', type: 'int32' },
  ]),
  PingCommand: messageType('PingCommand', [
    { number: 100, name: 'id', type: 'uint32' },
    { number: 101, name: 'clientTime', type: 'int64' },
  ]),
  PingResult: messageType('PingResult', [
    { number: 100, name: 'id', type: 'uint32' },
    { number: 101, name: 'clientTime', type: 'int64' },
    { number: 102, name: 'serverTime', type: 'int64' },
  ]),
  UDPConnectMessage: messageType('UDPConnectMessage', [{ number: 100, name: 'connectToken', type: 'string' }]),
  PlayerConnectMessage: messageType('PlayerConnectMessage', oneInt32('peerId')),
  PlayerDisconnectMessage: messageType('PlayerDisconnectMessage', oneInt32('peerId')),
  VerifyIdentityCommand: messageType('VerifyIdentityCommand', [
    { number: 1, name: 'peerId', type: 'int32' },
    { number: 2, name: 'connectToken', type: 'string' },
  ]),
  VerifyIdentityResult: messageType('VerifyIdentityResult', [
    { number: 1, name: 'success', type: 'bool' },
    { number: 2, name: 'peerId', type: 'int32' },
  ]),
  JoinGroup: messageType('JoinGroup', oneInt32('group')),
  LeaveGroup: messageType('LeaveGroup', oneInt32('group')),
  RequestGroupMembership: messageType('RequestGroupMembership', oneInt32('group')),
  GroupMembershipUpdate: messageType('GroupMembershipUpdate', [
    { number: 1, name: 'group', type: 'int32' },
    { number: 2, name: 'players', type: 'packedInt32' },
  ]),
};

const member = (number, name, message) => ({ number, name, type: 'message', message, oneof: true });

Messages.Packet = messageType('Packet', [
  { number: 1, name: 'opCode', type: 'sint32' },
  { number: 2, name: 'sequenceNumber', type: 'int32' },
  { number: 3, name: 'targetPlayer', type: 'int32' },
  { number: 4, name: 'targetGroup', type: 'int32' },
  { number: 5, name: 'sender', type: 'int32' },
  { number: 6, name: 'reliable', type: 'bool' },
  { number: 7, name: 'clientVersion', type: 'int32' },
  { number: 15, name: 'payload', type: 'bytes', limit: MAX_PAYLOAD_SIZE },
  member(30, 'login', Messages.LoginCommand),
  member(31, 'loginResult', Messages.LoginResult),
  member(32, 'ping', Messages.PingCommand),
  member(33, 'pingResult', Messages.PingResult),
  member(34, 'udpConnect', Messages.UDPConnectMessage),
  member(35, 'playerConnect', Messages.PlayerConnectMessage),
  member(36, 'playerDisconnect', Messages.PlayerDisconnectMessage),
  member(37, 'verifyIdentity', Messages.VerifyIdentityCommand),
  member(38, 'verifyIdentityResult', Messages.VerifyIdentityResult),
  member(40, 'joinGroup', Messages.JoinGroup),
  member(41, 'leaveGroup', Messages.LeaveGroup),
  member(42, 'requestGroupMembership', Messages.RequestGroupMembership),
  member(43, 'groupMembershipUpdate', Messages.GroupMembershipUpdate),
]);
Object.freeze(Messages);

/** The names of the Packet's message oneof members, in field-number order. */
export const MESSAGE_MEMBERS = Object.freeze(Messages.Packet.fields.filter((f) => f.oneof).map((f) => f.name));

const utf8Decoder = new TextDecoder('utf-8', { fatal: true });
const utf8Encoder = new TextEncoder();

/**
 * Returns a message of the given type with every field at its proto3 default
 * (oneof members are left out).
 * @param {MessageType} type
 * @returns {Record<string, any>}
 */
function defaults(type) {
  const out = {};
  for (const f of type.fields) {
    if (f.oneof) continue;
    switch (f.type) {
      case 'bool':
        out[f.name] = false;
        break;
      case 'string':
        out[f.name] = '';
        break;
      case 'bytes':
        out[f.name] = new Uint8Array(0);
        break;
      case 'int64':
        out[f.name] = 0n;
        break;
      case 'packedInt32':
        out[f.name] = [];
        break;
      default:
        out[f.name] = 0;
    }
  }
  return out;
}

/**
 * @param {string} path
 * @param {number} got
 * @param {number} want
 */
function expectWireType(path, got, want) {
  if (got !== want) {
    throw new ProtocolError(ErrorKind.WIRE_TYPE, path, `wire type ${wireTypeName(got)}, want ${wireTypeName(want)}`);
  }
}

/**
 * Returns the path that errors give a message decoded or encoded on its own: "packet"
 * for the Packet (as in frames), the message name for the others.
 * @param {MessageType} type
 * @returns {string}
 */
function pathOf(type) {
  return type === Messages.Packet ? 'packet' : type.name;
}

/**
 * Merges the fields in bytes[start:end] into out, which holds a message of type.
 * @param {MessageType} type
 * @param {Uint8Array} bytes
 * @param {number} start
 * @param {number} end
 * @param {string} path the message's path for errors ("packet", "packet.login")
 * @param {Record<string, any>} out
 */
function mergeFields(type, bytes, start, end, path, out) {
  const r = new Reader(bytes, start, end);
  while (!r.done()) {
    const [number, wireType] = r.readTag(path);
    const field = type.byNumber.get(number);
    if (field === undefined) {
      r.skipField(path, number, wireType);
      continue;
    }
    const fieldPath = `${path}.${field.name}`;
    switch (field.type) {
      case 'int32':
        expectWireType(fieldPath, wireType, WireType.VARINT);
        r.readVarint(fieldPath);
        out[field.name] = r.lo | 0;
        break;
      case 'uint32':
        expectWireType(fieldPath, wireType, WireType.VARINT);
        r.readVarint(fieldPath);
        out[field.name] = r.lo;
        break;
      case 'sint32':
        expectWireType(fieldPath, wireType, WireType.VARINT);
        r.readVarint(fieldPath);
        out[field.name] = (r.lo >>> 1) ^ -(r.lo & 1);
        break;
      case 'int64':
        expectWireType(fieldPath, wireType, WireType.VARINT);
        r.readVarint(fieldPath);
        out[field.name] = BigInt.asIntN(64, (BigInt(r.hi) << 32n) | BigInt(r.lo));
        break;
      case 'bool':
        expectWireType(fieldPath, wireType, WireType.VARINT);
        r.readVarint(fieldPath);
        out[field.name] = (r.lo | r.hi) !== 0;
        break;
      case 'string': {
        expectWireType(fieldPath, wireType, WireType.BYTES);
        const [s, e] = r.readLengthDelimited(fieldPath, MAX_STRING_SIZE);
        try {
          out[field.name] = utf8Decoder.decode(bytes.subarray(s, e));
        } catch {
          throw new ProtocolError(ErrorKind.MALFORMED, fieldPath, 'invalid UTF-8');
        }
        break;
      }
      case 'bytes': {
        expectWireType(fieldPath, wireType, WireType.BYTES);
        const [s, e] = r.readLengthDelimited(fieldPath, field.limit);
        out[field.name] = bytes.slice(s, e);
        break;
      }
      case 'packedInt32':
        if (wireType === WireType.BYTES) {
          const [s, e] = r.readLengthDelimited(fieldPath, MAX_FRAME_SIZE);
          const packed = new Reader(bytes, s, e);
          while (!packed.done()) {
            packed.readVarint(fieldPath);
            out[field.name].push(packed.lo | 0);
          }
        } else {
          expectWireType(fieldPath, wireType, WireType.VARINT);
          r.readVarint(fieldPath);
          out[field.name].push(r.lo | 0);
        }
        break;
      case 'message': {
        expectWireType(fieldPath, wireType, WireType.BYTES);
        const [s, e] = r.readLengthDelimited(fieldPath, MAX_FRAME_SIZE);
        if (!(field.name in out)) {
          for (const name of MESSAGE_MEMBERS) delete out[name];
          out[field.name] = defaults(field.message);
        }
        mergeFields(field.message, bytes, s, e, fieldPath, out[field.name]);
        break;
      }
      default:
        throw new TypeError(`${fieldPath}: unknown field type ${field.type}`);
    }
  }
}

/**
 * Decodes one message of the given type (no length prefix). Unknown fields are
 * skipped; every known field is present in the result, at its default when absent.
 * int64 fields decode to BigInt, bytes fields to a Uint8Array copy.
 * @param {MessageType} type one of Messages
 * @param {Uint8Array} bytes
 * @returns {Record<string, any>}
 * @throws {ProtocolError} when bytes are not a valid encoding of type
 */
export function decodeMessage(type, bytes) {
  const out = defaults(type);
  mergeFields(type, bytes, 0, bytes.length, pathOf(type), out);
  return out;
}

/**
 * @param {string} path
 * @param {unknown} value
 * @param {number} min
 * @param {number} max
 * @param {string} what
 * @returns {number}
 */
function checkInteger(path, value, min, max, what) {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${path}: ${String(value)} is not ${what}`);
  }
  return value;
}

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * @param {Writer} w
 * @param {number} number field number
 * @param {number} value an int32, written sign-extended to 64 bits
 */
function writeInt32Field(w, number, value) {
  if (value === 0) return;
  w.writeTag(number, WireType.VARINT);
  w.writeVarint(value, value < 0 ? 0xffffffff : 0);
}

/**
 * Writes the fields of value, a message of type, in field-number order, leaving out
 * zero values except the selected oneof member.
 * @param {MessageType} type
 * @param {Record<string, any>} value
 * @param {Writer} w
 * @param {string} path
 */
function writeFields(type, value, w, path) {
  for (const field of type.fields) {
    const v = value[field.name];
    if (v === undefined || v === null) continue;
    const fieldPath = `${path}.${field.name}`;
    switch (field.type) {
      case 'int32':
        writeInt32Field(w, field.number, checkInteger(fieldPath, v, INT32_MIN, INT32_MAX, 'an int32'));
        break;
      case 'uint32':
        if (checkInteger(fieldPath, v, 0, 2 ** 32 - 1, 'a uint32') !== 0) {
          w.writeTag(field.number, WireType.VARINT);
          w.writeVarint(v, 0);
        }
        break;
      case 'sint32':
        if (checkInteger(fieldPath, v, INT32_MIN, INT32_MAX, 'an int32') !== 0) {
          w.writeTag(field.number, WireType.VARINT);
          w.writeVarint((v << 1) ^ (v >> 31), 0);
        }
        break;
      case 'int64': {
        const big = typeof v === 'bigint' ? v : BigInt(checkInteger(fieldPath, v, -Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, 'an int64'));
        if (big < INT64_MIN || big > INT64_MAX) throw new RangeError(`${fieldPath}: ${big} is not an int64`);
        if (big !== 0n) {
          const bits = BigInt.asUintN(64, big);
          w.writeTag(field.number, WireType.VARINT);
          w.writeVarint(Number(bits & 0xffffffffn), Number(bits >> 32n));
        }
        break;
      }
      case 'bool':
        if (typeof v !== 'boolean') throw new TypeError(`${fieldPath}: ${String(v)} is not a boolean`);
        if (v) {
          w.writeTag(field.number, WireType.VARINT);
          w.writeVarint(1, 0);
        }
        break;
      case 'string':
        if (typeof v !== 'string') throw new TypeError(`${fieldPath}: ${String(v)} is not a string`);
        if (v !== '') {
          w.writeTag(field.number, WireType.BYTES);
          w.writeLengthDelimited(utf8Encoder.encode(v));
        }
        break;
      case 'bytes':
        if (!(v instanceof Uint8Array)) throw new TypeError(`${fieldPath}: not a Uint8Array`);
        if (v.length > 0) {
          w.writeTag(field.number, WireType.BYTES);
          w.writeLengthDelimited(v);
        }
        break;
      case 'packedInt32': {
        if (!Array.isArray(v)) throw new TypeError(`${fieldPath}: not an array`);
        if (v.length === 0) break;
        const packed = new Writer();
        v.forEach((p, i) => packedInt32(packed, checkInteger(`${fieldPath}[${i}]`, p, INT32_MIN, INT32_MAX, 'an int32')));
        w.writeTag(field.number, WireType.BYTES);
        w.writeLengthDelimited(packed.finish());
        break;
      }
      case 'message': {
        const inner = new Writer();
        writeFields(field.message, v, inner, fieldPath);
        w.writeTag(field.number, WireType.BYTES);
        w.writeLengthDelimited(inner.finish());
        break;
      }
      default:
        throw new TypeError(`${fieldPath}: unknown field type ${field.type}`);
    }
  }
}

/**
 * Writes one element of a packed int32 field (sign-extended varint, zero included).
 * @param {Writer} w
 * @param {number} value
 */
function packedInt32(w, value) {
  w.writeVarint(value, value < 0 ? 0xffffffff : 0);
}

/**
 * Checks that at most one member of the Packet's message oneof is set.
 * @param {Record<string, any>} packet
 */
function checkOneof(packet) {
  const set = MESSAGE_MEMBERS.filter((name) => packet[name] !== undefined && packet[name] !== null);
  if (set.length > 1) {
    throw new TypeError(`packet: more than one message member is set (${set.join(', ')})`);
  }
}

/**
 * Encodes one message of the given type (no length prefix), fields in field-number
 * order, zero values left out. Limits are not checked: the decoder and the relay
 * enforce them.
 * @param {MessageType} type one of Messages
 * @param {Record<string, any>} value
 * @returns {Uint8Array}
 * @throws {TypeError|RangeError} when a field has the wrong type or range
 */
export function encodeMessage(type, value) {
  if (type === Messages.Packet) checkOneof(value);
  const w = new Writer();
  writeFields(type, value, w, pathOf(type));
  return w.finish();
}

/**
 * @typedef {Object} Packet
 * @property {number} opCode internal op codes <= 0, developer op codes > 0
 * @property {number} sequenceNumber UDP only; 0 on the WebSocket
 * @property {number} targetPlayer 0 none, -1 the server, > 0 a peer id
 * @property {number} targetGroup 0 none, -1 all players, > 0 a group id
 * @property {number} sender peer id of the sender, -1 for the server
 * @property {boolean} reliable true when the packet travels over the WebSocket
 * @property {number} clientVersion unused
 * @property {Uint8Array} payload developer data, or the connection payload on login
 * @property {Record<string, any>} [login] ...and at most one other member of MESSAGE_MEMBERS
 */

/**
 * Encodes a Packet as one frame: its length as a varint, then the Packet. Fields may
 * be left out (they default to zero); at most one message member may be set.
 * @param {Partial<Packet>} packet
 * @returns {Uint8Array}
 * @throws {TypeError|RangeError} when a field has the wrong type or range
 */
export function encodePacket(packet) {
  const body = encodeMessage(Messages.Packet, packet);
  const w = new Writer();
  w.writeLengthDelimited(body);
  return w.finish();
}

/**
 * Decodes one frame (varint length, then the Packet, nothing after it). Every scalar
 * field is present in the result; the selected message member, if any, is the one
 * property of MESSAGE_MEMBERS that is set.
 * @param {Uint8Array} frame
 * @returns {Packet}
 * @throws {ProtocolError} naming the field, e.g. "packet.payload: length 5000 exceeds 4096"
 */
export function decodePacket(frame) {
  if (frame.length > MAX_FRAME_SIZE) {
    throw new ProtocolError(ErrorKind.TOO_LARGE, 'frame', `length ${frame.length} exceeds ${MAX_FRAME_SIZE}`);
  }
  const r = new Reader(frame);
  r.readVarint('frame.length');
  const length = r.hi * 2 ** 32 + r.lo;
  const rest = frame.length - r.pos;
  if (length > rest) {
    throw new ProtocolError(ErrorKind.TRUNCATED, 'frame.length', `length ${length} exceeds the remaining ${rest} bytes`);
  }
  if (length < rest) {
    throw new ProtocolError(ErrorKind.MALFORMED, 'frame', `${rest - length} trailing bytes after the packet`);
  }
  const packet = defaults(Messages.Packet);
  mergeFields(Messages.Packet, frame, r.pos, frame.length, pathOf(Messages.Packet), packet);
  return /** @type {Packet} */ (packet);
}
