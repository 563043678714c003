import {
  BUNDLE_FORMAT,
  BUNDLE_VERSION,
  type BundleFile,
  CANONICALIZATION,
  type DocumentBody,
  type EvidenceDocument,
  REPORT_MEDIA_TYPE,
  SIGNATURE_ALGORITHM,
} from './bundle-document.ts';
import { canonicalBytes } from './canonical-json.ts';
import type { SigningKey } from './signing-key.ts';
import { sha256Hex } from './trace-evidence.ts';

/**
 * The bundle file: the body completed with the report's size and SHA-256, signed over its canonical bytes
 * (canonical-json.ts), so the one signature covers the document and, through its digest, the HTML.
 */
export function sealBundle(body: DocumentBody, html: string, key: SigningKey): BundleFile {
  const document: EvidenceDocument = {
    ...body,
    report: { mediaType: REPORT_MEDIA_TYPE, bytes: Buffer.byteLength(html, 'utf8'), sha256: sha256Hex(html) },
  };
  return {
    format: BUNDLE_FORMAT,
    version: BUNDLE_VERSION,
    document,
    signature: {
      algorithm: SIGNATURE_ALGORITHM,
      canonicalization: CANONICALIZATION,
      value: key.sign(canonicalBytes(document)),
    },
    publicKey: key.publicKey,
    html,
  };
}

/** The bundle file's text: plain JSON (any reader parses it; the signature does not depend on its layout). */
export function bundleText(bundle: BundleFile): string {
  return `${JSON.stringify(bundle)}\n`;
}
