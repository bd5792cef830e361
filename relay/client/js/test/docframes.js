// Reads the hex examples of docs/protocol.md, so that the tests check the SDK against
// the document itself.

import { readFileSync } from 'node:fs';

const docPath = new URL('../../../../docs/protocol.md', import.meta.url);
const hexLine = /^([0-9a-f]{2} )+[0-9a-f]{2}$/;

/**
 * Returns every complete frame quoted in docs/protocol.md, in document order, each
 * with the hex line it came from and the heading of its section.
 * @returns {{hex: string, bytes: Uint8Array, section: string}[]}
 */
export function docFrames() {
  const frames = [];
  let section = '';
  for (const line of readFileSync(docPath, 'utf8').split('\n')) {
    if (line.startsWith('#')) section = line.replace(/^#+\s*/, '');
    if (!hexLine.test(line)) continue;
    frames.push({ hex: line, bytes: fromHex(line), section });
  }
  return frames;
}

/**
 * @param {string} hex bytes as space-separated hex pairs
 * @returns {Uint8Array}
 */
export function fromHex(hex) {
  return Uint8Array.from(hex.split(' ').map((pair) => Number.parseInt(pair, 16)));
}

/**
 * @param {Uint8Array} bytes
 * @returns {string} bytes as space-separated hex pairs
 */
export function toHex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
}
