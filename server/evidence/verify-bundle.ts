/**
 * Checking a bundle file (pure): that it is one, that the signature over the document's canonical bytes is
 * the signer's, that the HTML report is the one the document names, that every raw output still has the
 * digest the document records, and, when the recipient pins a key, that the signer holds it. The first
 * failure is thrown as a DetourwatchError whose code says what kind and whose message names the part.
 */
import { DetourwatchError } from '../../protocol/errors.ts';
import {
  BUNDLE_FORMAT,
  BUNDLE_VERSION,
  type BundleFile,
  type EvidenceDocument,
  SIGNATURE_ALGORITHM,
} from './bundle-document.ts';
import { canonicalBytes } from './canonical-json.ts';
import { parsePublicKey, verifySignature } from './signing-key.ts';
import { sha256Hex } from './trace-evidence.ts';

export interface VerifiedBundle {
  document: EvidenceDocument;
  publicKey: string;
  /** Whether the signer's key is the one the recipient pinned (false: none was pinned). */
  pinned: boolean;
  /** What was checked, one line each, for `bundle verify` to print. */
  checks: string[];
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const invalid = (what: string) =>
  new DetourwatchError('BUNDLE_INVALID', `not a detourwatch evidence bundle: ${what}`);

/** The bundle's shape, as far as verifying needs it; everything else is covered by the signature. */
function readShape(value: unknown): BundleFile {
  if (!isObject(value)) throw invalid('the file is not a JSON object');
  if (value.format !== BUNDLE_FORMAT) throw invalid(`"format" is not "${BUNDLE_FORMAT}"`);
  if (value.version !== BUNDLE_VERSION) {
    throw invalid(
      `version ${JSON.stringify(value.version)} is not ${BUNDLE_VERSION} (a newer detourwatch wrote it?)`,
    );
  }
  const { document, signature, html, publicKey } = value;
  if (!isObject(document)) throw invalid('"document" is missing');
  if (!isObject(signature) || typeof signature.value !== 'string') throw invalid('"signature" is missing');
  if (signature.algorithm !== SIGNATURE_ALGORITHM) {
    throw invalid(
      `the signature algorithm is ${JSON.stringify(signature.algorithm)}, not ${SIGNATURE_ALGORITHM}`,
    );
  }
  if (typeof html !== 'string') throw invalid('"html" (the report) is missing');
  if (typeof publicKey !== 'string') throw invalid('"publicKey" is missing');
  const signer = document.signer;
  if (!isObject(signer) || typeof signer.publicKey !== 'string')
    throw invalid('the document names no signer');
  const report = document.report;
  if (!isObject(report) || typeof report.sha256 !== 'string')
    throw invalid('the document names no report digest');
  if (!Array.isArray(document.traces)) throw invalid('the document has no traces');
  return value as unknown as BundleFile;
}

/** Raw outputs that no longer have the SHA-256 the document records: `trace #12 (result r-1)`. */
function changedRawOutputs(document: EvidenceDocument): string[] {
  const changed: string[] = [];
  for (const t of document.traces) {
    const raw = (t as Partial<typeof t>).raw;
    if (!isObject(raw) || raw.kind !== 'agent-output') continue;
    if (typeof raw.output !== 'string' || sha256Hex(raw.output) !== raw.sha256) {
      changed.push(`trace #${String(t.id)} (result ${String(raw.resultId)})`);
    }
  }
  return changed;
}

export function verifyBundle(value: unknown, pinnedKey: string | null = null): VerifiedBundle {
  const bundle = readShape(value);
  const { document } = bundle;
  const signerKey = document.signer.publicKey;
  if (bundle.publicKey !== signerKey) {
    throw invalid('"publicKey" is not the key the document names as its signer');
  }
  const key = parsePublicKey(signerKey);
  if (key === null) throw invalid(`the signer's key ${JSON.stringify(signerKey)} is not an ed25519:... key`);
  if (pinnedKey !== null) {
    if (parsePublicKey(pinnedKey) === null) {
      throw new DetourwatchError(
        'USAGE',
        `--public-key must be an ed25519:... key, not ${JSON.stringify(pinnedKey)}`,
      );
    }
    if (pinnedKey.trim() !== signerKey) {
      throw new DetourwatchError(
        'KEY_MISMATCH',
        `the bundle is signed by ${signerKey}, not by the pinned key ${pinnedKey.trim()}`,
      );
    }
  }
  const changed = changedRawOutputs(document);
  if (!verifySignature(key, canonicalBytes(document), bundle.signature.value)) {
    const where =
      changed.length > 0
        ? `the raw output of ${changed.join(', ')} differs from what was signed`
        : 'the document was changed after it was signed (or the signature was)';
    throw new DetourwatchError('SIGNATURE_INVALID', `the signature does not match the document: ${where}`);
  }
  // Signed, yet a raw output disagrees with its own digest: the bundle was made that way, not changed since.
  if (changed.length > 0) {
    throw new DetourwatchError(
      'DIGEST_MISMATCH',
      `the raw output of ${changed.join(', ')} does not match the SHA-256 the document records`,
    );
  }
  const htmlDigest = sha256Hex(bundle.html);
  if (htmlDigest !== document.report.sha256) {
    throw new DetourwatchError(
      'DIGEST_MISMATCH',
      `the HTML report is not the one signed: its SHA-256 is ${htmlDigest}, the document names ${document.report.sha256}`,
    );
  }
  const outputs = document.traces.filter((t) => t.raw.kind === 'agent-output').length;
  return {
    document,
    publicKey: signerKey,
    pinned: pinnedKey !== null,
    checks: [
      `signature: Ed25519 by ${signerKey} over the canonical document (${document.traces.length} trace(s), created ${document.createdAt} by detourwatch ${document.software.version})`,
      `raw outputs: ${outputs} match the SHA-256 the document records`,
      `HTML report: SHA-256 ${htmlDigest} as the document names (${document.report.bytes} bytes)`,
      pinnedKey !== null
        ? `key: the pinned key ${signerKey}`
        : "key: NOT pinned: anyone can sign a bundle with a key of their own; compare the key above with the coordinator's (its `serve` banner) or pass --public-key",
    ],
  };
}
