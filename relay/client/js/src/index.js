// @matchpoint/relay-client: the JavaScript client of the Matchpoint relay
// (docs/protocol.md, docs/sdk-js.md).

export { Client, LoginError, Message, connect } from './client.js';
export {
  CLIENT_VERSION_REALTIME,
  CloseCode,
  EXTENSION_VERSION,
  GROUP_ALL_PLAYERS,
  GROUP_NONE,
  MAX_CA_CERT_SIZE,
  MAX_DEVELOPER_OP_CODE,
  MAX_FRAME_SIZE,
  MAX_PAYLOAD_SIZE,
  MAX_STRING_SIZE,
  MAX_UDP_PAYLOAD_SIZE,
  MESSAGE_MEMBERS,
  MIN_DEVELOPER_OP_CODE,
  Messages,
  OpCode,
  PEER_NONE,
  PEER_SERVER,
  Refusal,
  decodeMessage,
  decodePacket,
  encodeMessage,
  encodePacket,
  refusalName,
} from './protocol.js';
export { ErrorKind, ProtocolError } from './wire.js';
