// The relay client: login over WebSocket, developer messages, groups, pings,
// reconnect and close, as docs/protocol.md describes them. Everything travels over the
// WebSocket: browsers have no UDP, so messages sent with the fast intent go there too.

import {
  CLIENT_VERSION_REALTIME,
  CloseCode,
  EXTENSION_VERSION,
  GROUP_ALL_PLAYERS,
  MAX_DEVELOPER_OP_CODE,
  MAX_PAYLOAD_SIZE,
  MAX_STRING_SIZE,
  MIN_DEVELOPER_OP_CODE,
  OpCode,
  PEER_SERVER,
  Refusal,
  decodePacket,
  encodePacket,
  refusalName,
} from './protocol.js';

const INT32_MAX = 2 ** 31 - 1;
const DEFAULT_LOGIN_TIMEOUT_MS = 10_000;
const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;

/** Close codes after which the relay has voided the reconnect token (docs/protocol.md 7.2, 12). */
const FINAL_CLOSE_CODES = new Set([
  CloseCode.NORMAL,
  CloseCode.GOING_AWAY,
  CloseCode.LOGIN_REFUSED,
  CloseCode.KICKED,
  CloseCode.SESSION_ENDED,
  CloseCode.REPLACED,
]);

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder();

/**
 * The relay refused a login. `refusal` is the LoginResult.refusal code (see Refusal),
 * `refusalName` its name ("session_full"), and the message the relay's reason.
 */
export class LoginError extends Error {
  /**
   * @param {number} refusal a Refusal code
   * @param {string} message the relay's human-readable reason
   */
  constructor(refusal, message) {
    super(`relay client: login refused: ${refusalName(refusal)}${message ? `: ${message}` : ''}`);
    this.name = 'LoginError';
    this.refusal = refusal;
    this.refusalName = refusalName(refusal);
    this.relayMessage = message;
  }
}

/** A developer message received from a player or the server. */
export class Message {
  /** @param {import('./protocol.js').Packet} packet */
  constructor(packet) {
    /** @type {number} the developer op code (> 0) */
    this.opCode = packet.opCode;
    /** @type {number} the sender's peer id; -1 for the server */
    this.sender = packet.sender;
    /** @type {number} the target player the sender chose (0 = none) */
    this.targetPlayer = packet.targetPlayer;
    /** @type {number} the target group the sender chose (0 = none) */
    this.targetGroup = packet.targetGroup;
    /** @type {boolean} true: the message came over the WebSocket (always, for this client) */
    this.reliable = packet.reliable;
    /** @type {Uint8Array} the developer data */
    this.payload = packet.payload;
  }

  /** @returns {string} the payload decoded as UTF-8 */
  get text() {
    return utf8Decoder.decode(this.payload);
  }
}

/**
 * @typedef {Object} GroupMembership
 * @property {number} group the group id (-1 for all players)
 * @property {number[]} players the members' peer ids, ascending
 *
 * @typedef {Object} CloseEvent
 * @property {number} code the WebSocket close code (see CloseCode; 1006 when the connection dropped)
 * @property {string} reason the close reason (the refusal name, the kick reason, ...)
 * @property {boolean} wasClean whether the close handshake completed
 * @property {boolean} canReconnect whether reconnect() may resume this peer
 *
 * @typedef {Object} ConnectOptions
 * @property {Uint8Array|string} [connectPayload] the connection payload, passed to the script's onPlayerConnect (at most 4096 bytes)
 * @property {typeof WebSocket} [WebSocket] a WebSocket constructor; default globalThis.WebSocket (Node 20: pass the one of the "ws" package)
 * @property {(message: Message) => void} [onMessage] a developer message arrived
 * @property {(peerId: number) => void} [onPlayerConnect] another player of the session logged in
 * @property {(peerId: number) => void} [onPlayerDisconnect] another player of the session left
 * @property {(update: GroupMembership) => void} [onGroupMembershipUpdate] a group's member list arrived
 * @property {(event: CloseEvent) => void} [onClose] the connection closed, after a successful login
 * @property {(error: Error) => void} [onError] a frame did not decode (the client then closes), or a callback threw
 * @property {number} [loginTimeout] milliseconds to wait for the login result; default 10000
 * @property {number} [requestTimeout] milliseconds to wait for a ping or group answer; default 10000
 */

/**
 * @param {unknown} value
 * @param {string} name
 * @returns {Uint8Array}
 */
function toBytes(value, name) {
  if (value === undefined || value === null) return new Uint8Array(0);
  if (typeof value === 'string') return utf8Encoder.encode(value);
  if (value instanceof Uint8Array) return value;
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  throw new TypeError(`relay client: ${name} must be a Uint8Array or a string`);
}

/**
 * @param {unknown} value
 * @param {string} name
 * @returns {Uint8Array}
 */
function checkPayload(value, name) {
  const bytes = toBytes(value, name);
  if (bytes.length > MAX_PAYLOAD_SIZE) {
    throw new RangeError(`relay client: ${name} is ${bytes.length} bytes, more than the ${MAX_PAYLOAD_SIZE} allowed`);
  }
  return bytes;
}

/**
 * @param {unknown} value
 * @param {string} name
 * @param {number} min
 * @returns {number}
 */
function checkId(value, name, min) {
  if (!Number.isInteger(value) || value < min || value > INT32_MAX) {
    throw new RangeError(`relay client: ${name} must be an integer from ${min} to ${INT32_MAX}; got ${String(value)}`);
  }
  return /** @type {number} */ (value);
}

/**
 * @param {unknown} data a WebSocket message event's data
 * @returns {Uint8Array|null} the bytes of a binary message, null for a text message
 */
function frameBytes(data) {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return null;
}

/**
 * A logged-in connection to a relay, returned by connect(). Every message travels
 * over the WebSocket.
 */
export class Client {
  #url;
  #playerSessionId;
  #connectPayload;
  #options;
  #WebSocket;
  /** @type {WebSocket|null} */
  #socket = null;
  /** @type {Error|null} the error the current socket reported, if its implementation gives one */
  #socketError = null;
  /** @type {'login'|'open'|'dropped'|'closed'} */
  #state = 'login';
  /** @type {{resolve: () => void, reject: (err: Error) => void, timer: any}|null} */
  #login = null;
  #peerId = 0;
  #reconnectToken = '';
  #reconnectGraceMillis = 0;
  #closedByUser = false;
  #canReconnect = false;
  #nextPingId = 0;
  /** @type {Map<number, {resolve: (rtt: number) => void, reject: (err: Error) => void, timer: any, start: number}>} */
  #pings = new Map();
  /** @type {Map<number, Array<{resolve: (m: GroupMembership) => void, reject: (err: Error) => void, timer: any}>>} */
  #groupWaiters = new Map();
  /** @type {Array<() => void>} */
  #closeWaiters = [];

  /**
   * Use connect(), which also logs in.
   * @param {string} url
   * @param {string} playerSessionId
   * @param {ConnectOptions} options
   */
  constructor(url, playerSessionId, options) {
    if (typeof url !== 'string' || url === '') {
      throw new TypeError('relay client: url must be a ws:// or wss:// URL');
    }
    if (typeof playerSessionId !== 'string' || playerSessionId === '') {
      throw new TypeError('relay client: playerSessionId must be a non-empty string');
    }
    if (utf8Encoder.encode(playerSessionId).length > MAX_STRING_SIZE) {
      throw new RangeError(`relay client: playerSessionId is longer than ${MAX_STRING_SIZE} bytes`);
    }
    this.#WebSocket = options.WebSocket ?? globalThis.WebSocket;
    if (typeof this.#WebSocket !== 'function') {
      throw new TypeError(
        'relay client: no WebSocket implementation: pass options.WebSocket (in Node 20, the WebSocket of the "ws" package)',
      );
    }
    this.#url = url;
    this.#playerSessionId = playerSessionId;
    this.#connectPayload = checkPayload(options.connectPayload, 'connectPayload');
    this.#options = options;
  }

  /** @returns {number} this player's peer id, assigned by the relay at login */
  get peerId() {
    return this.#peerId;
  }

  /** @returns {string} the player session id this client logged in with */
  get playerSessionId() {
    return this.#playerSessionId;
  }

  /** @returns {string} the relay URL */
  get url() {
    return this.#url;
  }

  /** @returns {boolean} whether the client is logged in and its connection open */
  get connected() {
    return this.#state === 'open';
  }

  /** @returns {number} how long after a drop reconnect() may resume this peer, in ms (0 if the relay did not say) */
  get reconnectGraceMillis() {
    return this.#reconnectGraceMillis;
  }

  /** @returns {boolean} whether the connection dropped in a way that reconnect() may repair */
  get canReconnect() {
    return this.#state === 'dropped' && this.#canReconnect;
  }

  /**
   * Connects and logs in; see the exported connect().
   * @param {string} url
   * @param {string} playerSessionId
   * @param {ConnectOptions} options
   * @returns {Promise<Client>}
   */
  static async connect(url, playerSessionId, options) {
    const client = new Client(url, playerSessionId, options);
    await client.#open('');
    return client;
  }

  /**
   * Opens a WebSocket and logs in, with reconnectToken when resuming.
   * @param {string} reconnectToken
   * @returns {Promise<void>}
   */
  #open(reconnectToken) {
    return new Promise((resolve, reject) => {
      const socket = new this.#WebSocket(this.#url);
      socket.binaryType = 'arraybuffer';
      this.#socket = socket;
      this.#socketError = null;
      this.#state = 'login';
      const timeout = this.#options.loginTimeout ?? DEFAULT_LOGIN_TIMEOUT_MS;
      const timer = setTimeout(() => {
        this.#failLogin(socket, new Error(`relay client: no login result within ${timeout} ms`));
      }, timeout);
      this.#login = { resolve, reject, timer };
      socket.onopen = () => {
        if (socket !== this.#socket) return;
        socket.send(
          encodePacket({
            opCode: OpCode.LOGIN,
            targetPlayer: PEER_SERVER,
            reliable: true,
            payload: this.#connectPayload,
            login: {
              playerSessionId: this.#playerSessionId,
              clientVersion: CLIENT_VERSION_REALTIME,
              reconnectToken,
              extensionVersion: EXTENSION_VERSION,
            },
          }),
        );
      };
      socket.onmessage = (event) => this.#onSocketMessage(socket, event.data);
      socket.onclose = (event) => this.#onSocketClose(socket, event);
      socket.onerror = (event) => {
        if (socket === this.#socket && event?.error instanceof Error) this.#socketError = event.error;
      };
    });
  }

  /**
   * Ends a login attempt with err and closes its socket.
   * @param {WebSocket} socket
   * @param {Error} err
   */
  #failLogin(socket, err) {
    const login = this.#login;
    if (socket !== this.#socket || login === null) return;
    this.#login = null;
    clearTimeout(login.timer);
    socket.close(CloseCode.NORMAL);
    login.reject(err);
  }

  /**
   * @param {WebSocket} socket
   * @param {unknown} data
   */
  #onSocketMessage(socket, data) {
    if (socket !== this.#socket) return;
    const bytes = frameBytes(data);
    let packet;
    try {
      if (bytes === null) throw new Error('relay client: the relay sent a text message');
      packet = decodePacket(bytes);
    } catch (err) {
      if (this.#state === 'login') {
        this.#failLogin(socket, err);
      } else {
        this.#report(err);
        socket.close(CloseCode.NORMAL, 'undecodable frame');
      }
      return;
    }
    if (this.#state === 'login') {
      this.#onLoginResult(socket, packet);
    } else if (this.#state === 'open') {
      this.#dispatch(packet);
    }
  }

  /**
   * @param {WebSocket} socket
   * @param {import('./protocol.js').Packet} packet
   */
  #onLoginResult(socket, packet) {
    const login = this.#login;
    if (login === null) return;
    const result = packet.loginResult;
    if (packet.opCode !== OpCode.LOGIN_RESULT || result === undefined) {
      this.#failLogin(socket, new Error(`relay client: expected a login result, got op code ${packet.opCode}`));
      return;
    }
    if (!result.success) {
      this.#failLogin(socket, new LoginError(result.refusal, result.message));
      return;
    }
    this.#login = null;
    clearTimeout(login.timer);
    this.#peerId = result.peerId || packet.targetPlayer;
    this.#reconnectToken = result.reconnectToken;
    this.#reconnectGraceMillis = result.reconnectGraceMillis;
    this.#state = 'open';
    login.resolve();
  }

  /** @param {import('./protocol.js').Packet} packet */
  #dispatch(packet) {
    const o = this.#options;
    if (packet.opCode >= MIN_DEVELOPER_OP_CODE) {
      this.#call(o.onMessage, new Message(packet));
      return;
    }
    if (packet.pingResult !== undefined) {
      const ping = this.#pings.get(packet.pingResult.id);
      if (ping === undefined) return;
      this.#pings.delete(packet.pingResult.id);
      clearTimeout(ping.timer);
      ping.resolve(performance.now() - ping.start);
    } else if (packet.groupMembershipUpdate !== undefined) {
      const update = { group: packet.groupMembershipUpdate.group, players: packet.groupMembershipUpdate.players };
      const waiters = this.#groupWaiters.get(update.group) ?? [];
      this.#groupWaiters.delete(update.group);
      for (const waiter of waiters) {
        clearTimeout(waiter.timer);
        waiter.resolve(update);
      }
      this.#call(o.onGroupMembershipUpdate, update);
    } else if (packet.playerConnect !== undefined) {
      this.#call(o.onPlayerConnect, packet.playerConnect.peerId);
    } else if (packet.playerDisconnect !== undefined) {
      this.#call(o.onPlayerDisconnect, packet.playerDisconnect.peerId);
    }
  }

  /**
   * @param {WebSocket} socket
   * @param {{code: number, reason: string, wasClean: boolean}} event
   */
  #onSocketClose(socket, event) {
    if (socket !== this.#socket) return;
    const waiters = this.#closeWaiters;
    this.#closeWaiters = [];
    if (this.#state === 'login') {
      const reason = event.reason ? `: ${event.reason}` : '';
      const cause = this.#socketError;
      const why = cause ? `: ${cause.message}` : '';
      const err =
        event.code === CloseCode.LOGIN_REFUSED && event.reason
          ? new LoginError(Refusal[event.reason.toUpperCase()] ?? Refusal.NONE, '')
          : new Error(
              `relay client: connection closed before the login result (code ${event.code}${reason})${why}`,
              cause ? { cause } : undefined,
            );
      this.#failLogin(socket, err);
      this.#state = this.#canReconnect ? 'dropped' : 'closed';
      waiters.forEach((resolve) => resolve());
      return;
    }
    if (this.#state !== 'open') {
      waiters.forEach((resolve) => resolve());
      return;
    }
    this.#canReconnect = !this.#closedByUser && !FINAL_CLOSE_CODES.has(event.code) && this.#reconnectToken !== '';
    this.#state = this.#canReconnect ? 'dropped' : 'closed';
    this.#rejectPending(new Error(`relay client: connection closed (code ${event.code})`));
    waiters.forEach((resolve) => resolve());
    this.#call(this.#options.onClose, {
      code: event.code,
      reason: event.reason,
      wasClean: event.wasClean,
      canReconnect: this.#canReconnect,
    });
  }

  /** @param {Error} err */
  #rejectPending(err) {
    for (const ping of this.#pings.values()) {
      clearTimeout(ping.timer);
      ping.reject(err);
    }
    this.#pings.clear();
    for (const waiters of this.#groupWaiters.values()) {
      for (const waiter of waiters) {
        clearTimeout(waiter.timer);
        waiter.reject(err);
      }
    }
    this.#groupWaiters.clear();
  }

  /**
   * Calls a user callback; what it throws goes to onError (or is rethrown outside the
   * client's own stack when there is none).
   * @param {Function|undefined} callback
   * @param {unknown} arg
   */
  #call(callback, arg) {
    if (typeof callback !== 'function') return;
    try {
      callback(arg);
    } catch (err) {
      this.#report(err);
    }
  }

  /** @param {unknown} err */
  #report(err) {
    const onError = this.#options.onError;
    if (typeof onError === 'function') {
      onError(err);
    } else {
      queueMicrotask(() => {
        throw err;
      });
    }
  }

  /** @param {import('./protocol.js').Packet} packet */
  #sendPacket(packet) {
    if (this.#state !== 'open') {
      throw new Error('relay client: not connected');
    }
    this.#socket.send(encodePacket(packet));
  }

  /**
   * Sends a developer message. With neither target the relay delivers it to every
   * other player (group -1). The message travels over the WebSocket whatever the
   * intent: `reliable: false` (the fast intent) is accepted for compatibility with
   * the Realtime SDK, but browsers have no UDP.
   * @param {number} opCode a developer op code, 1 to 2147483647
   * @param {Object} [options]
   * @param {number} [options.targetPlayer] a peer id, or -1 (PEER_SERVER) for the server script; default 0 (none)
   * @param {number} [options.targetGroup] a group id, or -1 (GROUP_ALL_PLAYERS); default 0 (none). A target player wins.
   * @param {Uint8Array|string} [options.payload] at most 4096 bytes; strings are sent as UTF-8
   * @param {boolean} [options.reliable] the delivery intent; default true
   * @throws {RangeError|TypeError} on an invalid argument; {Error} when not connected
   */
  send(opCode, { targetPlayer = 0, targetGroup = 0, payload, reliable = true } = {}) {
    if (!Number.isInteger(opCode) || opCode < MIN_DEVELOPER_OP_CODE || opCode > MAX_DEVELOPER_OP_CODE) {
      throw new RangeError(
        `relay client: opCode must be a developer op code, an integer from ${MIN_DEVELOPER_OP_CODE} to ${MAX_DEVELOPER_OP_CODE}; got ${String(opCode)}`,
      );
    }
    checkId(targetPlayer, 'targetPlayer', PEER_SERVER);
    checkId(targetGroup, 'targetGroup', GROUP_ALL_PLAYERS);
    if (typeof reliable !== 'boolean') {
      throw new TypeError('relay client: reliable must be a boolean');
    }
    const bytes = checkPayload(payload, 'payload');
    this.#sendPacket({ opCode, targetPlayer, targetGroup, sender: this.#peerId, reliable: true, payload: bytes });
  }

  /**
   * Sends a group control packet and waits for the membership update of that group.
   * @param {number} opCode
   * @param {string} member the Packet's message member
   * @param {number} group
   * @returns {Promise<GroupMembership>}
   */
  #groupRequest(opCode, member, group) {
    this.#sendPacket({ opCode, targetPlayer: PEER_SERVER, sender: this.#peerId, reliable: true, [member]: { group } });
    return new Promise((resolve, reject) => {
      const waiter = { resolve, reject, timer: null };
      waiter.timer = setTimeout(() => {
        const waiters = this.#groupWaiters.get(group) ?? [];
        waiters.splice(waiters.indexOf(waiter), 1);
        reject(new Error(`relay client: no membership update for group ${group} in time`));
      }, this.#options.requestTimeout ?? DEFAULT_REQUEST_TIMEOUT_MS);
      const waiters = this.#groupWaiters.get(group) ?? [];
      waiters.push(waiter);
      this.#groupWaiters.set(group, waiters);
    });
  }

  /**
   * Joins a custom group. The relay answers with the group's membership: it includes
   * this player unless the server script refused.
   * @param {number} group a custom group id, > 0
   * @returns {Promise<GroupMembership>} the group's members after the request
   */
  joinGroup(group) {
    checkId(group, 'group', 1);
    return this.#groupRequest(OpCode.JOIN_GROUP, 'joinGroup', group);
  }

  /**
   * Leaves a custom group. The relay answers with the group's membership: it excludes
   * this player unless the server script refused.
   * @param {number} group a custom group id, > 0
   * @returns {Promise<GroupMembership>} the group's members after the request
   */
  leaveGroup(group) {
    checkId(group, 'group', 1);
    return this.#groupRequest(OpCode.LEAVE_GROUP, 'leaveGroup', group);
  }

  /**
   * Asks for the members of a group.
   * @param {number} group a custom group id (> 0), or -1 for all players
   * @returns {Promise<GroupMembership>}
   */
  requestGroupMembership(group) {
    if (group !== GROUP_ALL_PLAYERS) checkId(group, 'group', 1);
    return this.#groupRequest(OpCode.REQUEST_GROUP_MEMBERSHIP, 'requestGroupMembership', group);
  }

  /**
   * Measures the round-trip time to the relay with a protocol ping (op -2, answered
   * by op -3).
   * @returns {Promise<number>} the round-trip time in milliseconds
   */
  ping() {
    this.#nextPingId = (this.#nextPingId + 1) >>> 0 || 1;
    const id = this.#nextPingId;
    this.#sendPacket({
      opCode: OpCode.PING,
      targetPlayer: PEER_SERVER,
      sender: this.#peerId,
      reliable: true,
      ping: { id, clientTime: BigInt(Date.now()) },
    });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pings.delete(id);
        reject(new Error(`relay client: no ping result in time`));
      }, this.#options.requestTimeout ?? DEFAULT_REQUEST_TIMEOUT_MS);
      this.#pings.set(id, { resolve, reject, timer, start: performance.now() });
    });
  }

  /**
   * Resumes this peer on a new connection after its connection dropped, with the
   * reconnect token of the last login, within the relay's grace period: the peer id
   * and group memberships are kept. Called while the connection still looks open, it
   * replaces that connection. The tokens are rotated on success.
   * @returns {Promise<Client>} this client, connected again
   * @throws {LoginError} with refusal RECONNECT_FAILED when the grace period is over
   */
  async reconnect() {
    if (this.#state === 'closed') {
      throw new Error('relay client: closed for good, cannot reconnect');
    }
    if (this.#state === 'login') {
      throw new Error('relay client: a login is already in progress');
    }
    if (this.#reconnectToken === '') {
      throw new Error('relay client: the relay gave no reconnect token');
    }
    const old = this.#socket;
    if (this.#state === 'open') {
      this.#state = 'dropped';
      this.#rejectPending(new Error('relay client: connection replaced by reconnect()'));
    }
    const token = this.#reconnectToken;
    this.#canReconnect = true;
    try {
      await this.#open(token);
    } catch (err) {
      if (err instanceof LoginError) this.#canReconnect = false;
      this.#state = this.#canReconnect ? 'dropped' : 'closed';
      throw err;
    } finally {
      old.close(CloseCode.REPLACED, 'reconnected');
    }
    return this;
  }

  /**
   * Closes the connection (code 1000): the relay removes the player at once, without
   * a grace period. onClose is called once the connection has closed.
   * @param {string} [reason] the close reason, at most 123 bytes
   * @returns {Promise<void>} resolved once the connection has closed
   */
  close(reason = '') {
    const socket = this.#socket;
    this.#closedByUser = true;
    this.#canReconnect = false;
    if (this.#state === 'closed' || this.#state === 'dropped') {
      this.#state = 'closed';
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.#closeWaiters.push(resolve);
      if (this.#state === 'login') {
        this.#failLogin(socket, new Error('relay client: closed during login'));
      } else {
        socket.close(CloseCode.NORMAL, reason);
      }
    });
  }
}

/**
 * Connects to a relay and logs in with a player session id: opens a WebSocket (binary
 * frames), sends the login (op 0, with the Matchpoint extensions) and waits for the
 * login result.
 * @param {string} url the relay's WebSocket URL, e.g. "ws://127.0.0.1:7000/websocket"
 * @param {string} playerSessionId the player session reserved for this player
 * @param {ConnectOptions} [options]
 * @returns {Promise<Client>} the logged-in client
 * @throws {LoginError} when the relay refuses the login (refusal code and message);
 *   {Error} when the connection fails or no login result arrives in time (when the
 *   WebSocket implementation reports why the connection failed, as the "ws" package
 *   does, the message ends with the reason and `cause` is its error)
 */
export function connect(url, playerSessionId, options = {}) {
  return Client.connect(url, playerSessionId, options);
}
