/**
 * k6/crypto, the part a script may need beside WebCrypto (which both k6 and Node offer as the
 * global `crypto`): random bytes and SHA-256.
 */
import { createHash, randomBytes as nodeRandomBytes } from 'node:crypto';

export function randomBytes(size: number): ArrayBuffer {
  const bytes = nodeRandomBytes(size);
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
}

export function sha256(input: string | ArrayBuffer, encoding: 'hex' | 'base64'): string {
  const data = typeof input === 'string' ? input : new Uint8Array(input);
  return createHash('sha256').update(data).digest(encoding);
}

export default { randomBytes, sha256 };
