/**
 * The coordinator's evidence key: an Ed25519 key pair whose private half lives in the data directory (mode
 * 0600, created on first use) and whose public half is printed by `serve` and written into every bundle, so
 * a recipient can pin it (`detourwatch bundle verify --public-key`). Public keys are written as
 * `ed25519:` and the raw 32-byte key in base64url (the JWK `x` of RFC 8037).
 */
import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
  verify,
} from 'node:crypto';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DetourwatchError, describeError } from '../../protocol/errors.ts';

/** The key's file under the data directory. */
export const SIGNING_KEY_FILE = 'evidence-signing-key.pem';

const PREFIX = 'ed25519:';
const RAW_KEY = /^[A-Za-z0-9_-]{43}$/;

export interface SigningKey {
  /** `ed25519:<base64url>`: what bundles carry and `serve` prints. */
  readonly publicKey: string;
  /** Where the private key is kept. */
  readonly file: string;
  /** The Ed25519 signature of `bytes`, base64. */
  sign(bytes: Uint8Array): string;
}

function publicKeyText(key: KeyObject): string {
  const { x } = createPublicKey(key).export({ format: 'jwk' });
  return `${PREFIX}${x}`;
}

/** The public key of `ed25519:<base64url>` text; null when the text is not one. */
export function parsePublicKey(text: string): KeyObject | null {
  const raw = text.trim();
  if (!raw.startsWith(PREFIX) || !RAW_KEY.test(raw.slice(PREFIX.length))) return null;
  try {
    return createPublicKey({
      key: { kty: 'OKP', crv: 'Ed25519', x: raw.slice(PREFIX.length) },
      format: 'jwk',
    });
  } catch {
    return null;
  }
}

/** Whether `signature` (base64) is `publicKey`'s Ed25519 signature of `bytes`. */
export function verifySignature(publicKey: KeyObject, bytes: Uint8Array, signature: string): boolean {
  const raw = Buffer.from(signature, 'base64');
  // Ed25519 signatures are 64 bytes; anything else is not one (and crypto.verify would throw on some).
  if (raw.length !== 64 || raw.toString('base64') !== signature) return false;
  return verify(null, bytes, publicKey, raw);
}

function fromPrivateKey(key: KeyObject, file: string): SigningKey {
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new DetourwatchError(
      'CONFIG_INVALID',
      `${file} holds a ${key.asymmetricKeyType ?? 'non-asymmetric'} key, not an Ed25519 key: move it away and a new key is made`,
    );
  }
  return {
    publicKey: publicKeyText(key),
    file,
    sign: (bytes) => sign(null, bytes, key).toString('base64'),
  };
}

function readKey(file: string): SigningKey {
  const mode = statSync(file).mode & 0o777;
  // Anyone who can read the key can sign evidence in the coordinator's name.
  if ((mode & 0o077) !== 0) {
    throw new DetourwatchError(
      'CONFIG_INVALID',
      `the evidence signing key ${file} is readable by others (mode ${mode.toString(8).padStart(4, '0')}): run chmod 600 ${file}`,
    );
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new DetourwatchError(
      'CONFIG_INVALID',
      `cannot read the evidence signing key ${file}: ${describeError(err)}`,
      { cause: err },
    );
  }
  return fromPrivateKey(key, file);
}

/**
 * The key in `dataDir`, created there (mode 0600) when there is none yet. Two processes starting together
 * do not make two keys: the file is created exclusively, and the loser reads the winner's.
 */
export function openSigningKey(dataDir: string): SigningKey {
  const file = path.join(path.resolve(dataDir), SIGNING_KEY_FILE);
  try {
    return readKey(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const { privateKey } = generateKeyPairSync('ed25519');
  const pem = privateKey.export({ format: 'pem', type: 'pkcs8' });
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, pem, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return readKey(file);
    throw new DetourwatchError(
      'CONFIG_INVALID',
      `cannot create the evidence signing key ${file}: ${describeError(err)}`,
      { cause: err },
    );
  }
  return fromPrivateKey(privateKey, file);
}
