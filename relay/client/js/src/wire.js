// Protobuf binary encoding primitives: varints, tags, length-delimited fields and the
// skipping of unknown fields. Varints are handled as two unsigned 32-bit halves so
// that 64-bit values (sign-extended negative int32, int64) need no BigInt on the
// hot path.

/** Protobuf wire types (the low 3 bits of a tag). */
export const WireType = Object.freeze({
  VARINT: 0,
  FIXED64: 1,
  BYTES: 2,
  START_GROUP: 3,
  END_GROUP: 4,
  FIXED32: 5,
});

const wireTypeNames = ['varint', 'fixed64', 'bytes', 'start group', 'end group', 'fixed32'];

/**
 * Returns the name of a wire type as error messages spell it ("varint", "bytes", ...).
 * @param {number} type
 * @returns {string}
 */
export function wireTypeName(type) {
  return wireTypeNames[type] ?? `wire type ${type}`;
}

/** The kinds of ProtocolError, the same as the Go package's error kinds. */
export const ErrorKind = Object.freeze({
  TRUNCATED: 'truncated',
  MALFORMED: 'malformed',
  WIRE_TYPE: 'wrong wire type',
  TOO_LARGE: 'too large',
});

/**
 * An error about one field of the wire format. `field` is the path of the field in
 * protobuf names ("packet.payload", "packet.login.playerSessionId", "frame.length"),
 * `kind` one of ErrorKind, and the message reads "<field>: <detail>", as the Go
 * package words it.
 */
export class ProtocolError extends Error {
  /**
   * @param {string} kind one of ErrorKind
   * @param {string} field path of the field
   * @param {string} detail what is wrong with it
   */
  constructor(kind, field, detail) {
    super(`${field}: ${detail}`);
    this.name = 'ProtocolError';
    this.kind = kind;
    this.field = field;
    this.detail = detail;
  }
}

const MAX_FIELD_NUMBER = 2 ** 29 - 1;
const TWO_POW_32 = 2 ** 32;

/**
 * Reads protobuf fields from a byte array. After readVarint, `lo` and `hi` hold the
 * low and high 32 bits of the value, unsigned.
 */
export class Reader {
  /**
   * @param {Uint8Array} bytes
   * @param {number} [start]
   * @param {number} [end]
   */
  constructor(bytes, start = 0, end = bytes.length) {
    this.bytes = bytes;
    this.pos = start;
    this.end = end;
    this.lo = 0;
    this.hi = 0;
  }

  /** @returns {boolean} whether every byte has been read */
  done() {
    return this.pos >= this.end;
  }

  /**
   * Reads a varint of up to 10 bytes into lo and hi.
   * @param {string} field the field path, for errors
   */
  readVarint(field) {
    const b = this.bytes;
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) {
        throw new ProtocolError(ErrorKind.TRUNCATED, field, 'truncated varint');
      }
      const byte = b[this.pos++];
      const bits = byte & 0x7f;
      if (i < 4) {
        lo |= bits << (7 * i);
      } else if (i === 4) {
        lo |= bits << 28;
        hi |= bits >>> 4;
      } else if (i === 9 && byte > 1) {
        throw new ProtocolError(ErrorKind.MALFORMED, field, 'malformed varint: variable length integer overflow');
      } else {
        hi |= bits << (7 * i - 32);
      }
      if (byte < 0x80) {
        this.lo = lo >>> 0;
        this.hi = hi >>> 0;
        return;
      }
    }
    throw new ProtocolError(ErrorKind.MALFORMED, field, 'malformed varint: variable length integer overflow');
  }

  /**
   * Reads a tag and returns [fieldNumber, wireType].
   * @param {string} msg the message path, for errors
   * @returns {[number, number]}
   */
  readTag(msg) {
    this.readVarint(`${msg}.tag`);
    const number = this.hi * 2 ** 29 + (this.lo >>> 3);
    if (number < 1 || number > MAX_FIELD_NUMBER) {
      throw new ProtocolError(ErrorKind.MALFORMED, `${msg}.tag`, `invalid field number ${number}`);
    }
    return [number, this.lo & 7];
  }

  /**
   * Reads the length of a length-delimited field, checks it against limit and the
   * bytes left, and returns [start, end] of its value.
   * @param {string} field
   * @param {number} limit
   * @returns {[number, number]}
   */
  readLengthDelimited(field, limit) {
    this.readVarint(field);
    const length = this.hi * TWO_POW_32 + this.lo;
    if (length > limit) {
      throw new ProtocolError(ErrorKind.TOO_LARGE, field, `length ${length} exceeds ${limit}`);
    }
    const rest = this.end - this.pos;
    if (length > rest) {
      throw new ProtocolError(ErrorKind.TRUNCATED, field, `length ${length} exceeds the remaining ${rest} bytes`);
    }
    const start = this.pos;
    this.pos += length;
    return [start, this.pos];
  }

  /**
   * Skips the value of an unknown field of any wire type, groups included.
   * @param {string} msg the message path, for errors
   * @param {number} number the field number
   * @param {number} type the wire type
   */
  skipField(msg, number, type) {
    const field = `${msg}.field ${number}`;
    const truncated = () =>
      new ProtocolError(ErrorKind.TRUNCATED, field, `truncated unknown field (${wireTypeName(type)})`);
    switch (type) {
      case WireType.VARINT:
        try {
          this.readVarint(field);
        } catch (err) {
          if (err.kind === ErrorKind.TRUNCATED) throw truncated();
          throw new ProtocolError(ErrorKind.MALFORMED, field, 'malformed unknown field: variable length integer overflow');
        }
        return;
      case WireType.FIXED64:
      case WireType.FIXED32: {
        const size = type === WireType.FIXED64 ? 8 : 4;
        if (this.end - this.pos < size) throw truncated();
        this.pos += size;
        return;
      }
      case WireType.BYTES: {
        try {
          this.readLengthDelimited(field, Number.MAX_SAFE_INTEGER);
        } catch (err) {
          if (err.kind === ErrorKind.TRUNCATED) throw truncated();
          throw err;
        }
        return;
      }
      case WireType.START_GROUP:
        this.skipGroup(msg, number, field);
        return;
      case WireType.END_GROUP:
        throw new ProtocolError(ErrorKind.MALFORMED, field, 'malformed unknown field: mismatching end group marker');
      default:
        throw new ProtocolError(ErrorKind.MALFORMED, field, 'malformed unknown field: cannot parse reserved wire type');
    }
  }

  /**
   * Skips the fields of a group up to and including its end marker, nested groups
   * included, without recursion.
   * @param {string} msg
   * @param {number} number the group's field number
   * @param {string} field the group's path, for errors
   */
  skipGroup(msg, number, field) {
    const open = [number];
    while (open.length > 0) {
      if (this.done()) {
        throw new ProtocolError(ErrorKind.TRUNCATED, field, 'truncated unknown field (start group)');
      }
      const [inner, type] = this.readTag(msg);
      if (type === WireType.END_GROUP) {
        if (inner !== open.pop()) {
          throw new ProtocolError(ErrorKind.MALFORMED, field, 'malformed unknown field: mismatching end group marker');
        }
      } else if (type === WireType.START_GROUP) {
        open.push(inner);
      } else {
        this.skipField(msg, inner, type);
      }
    }
  }
}

/** Writes protobuf fields into a growing byte array. */
export class Writer {
  constructor() {
    this.bytes = new Uint8Array(64);
    this.length = 0;
  }

  /** @param {number} extra bytes about to be written */
  reserve(extra) {
    if (this.length + extra <= this.bytes.length) return;
    let size = this.bytes.length * 2;
    while (size < this.length + extra) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
  }

  /**
   * Writes a varint given as unsigned 32-bit halves.
   * @param {number} lo low 32 bits
   * @param {number} [hi] high 32 bits
   */
  writeVarint(lo, hi = 0) {
    this.reserve(10);
    const b = this.bytes;
    lo >>>= 0;
    hi >>>= 0;
    while (hi !== 0) {
      b[this.length++] = (lo & 0x7f) | 0x80;
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi >>>= 7;
    }
    while (lo > 0x7f) {
      b[this.length++] = (lo & 0x7f) | 0x80;
      lo >>>= 7;
    }
    b[this.length++] = lo;
  }

  /**
   * Writes a tag.
   * @param {number} number field number
   * @param {number} type wire type
   */
  writeTag(number, type) {
    this.writeVarint(number * 8 + type, 0);
  }

  /**
   * Writes raw bytes.
   * @param {Uint8Array} bytes
   */
  writeRaw(bytes) {
    this.reserve(bytes.length);
    this.bytes.set(bytes, this.length);
    this.length += bytes.length;
  }

  /**
   * Writes a length-delimited value: its length as a varint, then the bytes.
   * @param {Uint8Array} bytes
   */
  writeLengthDelimited(bytes) {
    this.writeVarint(bytes.length);
    this.writeRaw(bytes);
  }

  /** @returns {Uint8Array} a copy of the bytes written */
  finish() {
    return this.bytes.slice(0, this.length);
  }
}
