import { chmodSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DetourwatchError } from '../../protocol/errors.ts';
import type { BundleFile, DocumentBody, TraceEvidence } from '../../server/evidence/bundle-document.ts';
import { sealBundle } from '../../server/evidence/seal.ts';
import { openSigningKey, SIGNING_KEY_FILE } from '../../server/evidence/signing-key.ts';
import { sha256Hex } from '../../server/evidence/trace-evidence.ts';
import { verifyBundle } from '../../server/evidence/verify-bundle.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'dw-sign-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const OUTPUT = 'traceroute to 192.0.2.50 (192.0.2.50), 30 hops max\n 1  192.0.2.50  1.2 ms\n';

function body(publicKey: string): DocumentBody {
  const trace = {
    id: 7,
    raw: { kind: 'agent-output', resultId: 'r-7', sha256: sha256Hex(OUTPUT), output: OUTPUT },
    verdict: { verdict: 'detour', reason: 'because' },
  } as unknown as TraceEvidence;
  return {
    format: 'detourwatch-evidence-bundle',
    version: 1,
    subject: { kind: 'trace', id: 7 },
    title: 'Evidence: trace #7',
    createdAt: '2026-01-01T00:00:00.000Z',
    software: { name: 'detourwatch', version: '0.1.0', protocolVersion: 1 },
    signer: { algorithm: 'Ed25519', publicKey },
    analysis: { kmPerMs: 100, homeCountries: ['US'] },
    incident: null,
    vantagePoints: [],
    databases: [],
    traces: [trace],
  };
}

/** The bundle as a recipient reads it: the file's JSON parsed, changed by `change`. */
function received(bundle: BundleFile, change: (b: BundleFile) => void = () => {}): unknown {
  const copy = JSON.parse(JSON.stringify(bundle)) as BundleFile;
  change(copy);
  return copy;
}

function failure(value: unknown, pinned: string | null = null): DetourwatchError {
  try {
    verifyBundle(value, pinned);
  } catch (err) {
    if (err instanceof DetourwatchError) return err;
    throw err;
  }
  throw new Error('verified');
}

describe('the signing key', () => {
  it('is made on first use with mode 0600 and read back afterwards', () => {
    const keyDir = path.join(dir, 'data');
    const first = openSigningKey(keyDir);
    expect(first.publicKey).toMatch(/^ed25519:[A-Za-z0-9_-]{43}$/);
    expect(statSync(path.join(keyDir, SIGNING_KEY_FILE)).mode & 0o777).toBe(0o600);
    expect(openSigningKey(keyDir).publicKey).toBe(first.publicKey);
  });

  it('is refused when others can read it', () => {
    const keyDir = path.join(dir, 'loose');
    openSigningKey(keyDir);
    chmodSync(path.join(keyDir, SIGNING_KEY_FILE), 0o644);
    expect(() => openSigningKey(keyDir)).toThrow(/readable by others \(mode 0644\): run chmod 600/);
  });
});

describe('verifying a bundle', () => {
  const key = openSigningKey(path.join(dir, 'signer'));
  const other = openSigningKey(path.join(dir, 'other'));
  const bundle = sealBundle(body(key.publicKey), '<!DOCTYPE html><p>report</p>', key);

  it('passes as it was made, with or without the key pinned', () => {
    expect(verifyBundle(received(bundle)).pinned).toBe(false);
    expect(verifyBundle(received(bundle), key.publicKey).pinned).toBe(true);
  });

  it.each([
    [
      'a changed verdict',
      (b: BundleFile) => {
        (b.document.traces[0] as TraceEvidence).verdict.reason = 'because I say so';
      },
      'SIGNATURE_INVALID',
      /the document was changed after it was signed/,
    ],
    [
      'a changed raw output',
      (b: BundleFile) => {
        const raw = (b.document.traces[0] as TraceEvidence).raw;
        if (raw.kind === 'agent-output') raw.output = raw.output.replace('1.2 ms', '1.3 ms');
      },
      'SIGNATURE_INVALID',
      /the raw output of trace #7 \(result r-7\) differs/,
    ],
    [
      'a changed report',
      (b: BundleFile) => {
        b.html = b.html.replace('report', 'rep0rt');
      },
      'DIGEST_MISMATCH',
      /the HTML report is not the one signed/,
    ],
    [
      'a signature that is not one',
      (b: BundleFile) => {
        b.signature.value = 'AAAA';
      },
      'SIGNATURE_INVALID',
      /does not match/,
    ],
    [
      'another key in the envelope',
      (b: BundleFile) => {
        b.publicKey = other.publicKey;
      },
      'BUNDLE_INVALID',
      /not the key the document names/,
    ],
    [
      'a newer format',
      (b: BundleFile) => {
        (b as { version: number }).version = 2;
      },
      'BUNDLE_INVALID',
      /version 2 is not 1/,
    ],
    [
      'no report',
      (b: BundleFile) => {
        delete (b as Partial<BundleFile>).html;
      },
      'BUNDLE_INVALID',
      /"html"/,
    ],
  ] as const)('fails on %s, naming it', (_what, change, code, message) => {
    const err = failure(received(bundle, change));
    expect(err.code).toBe(code);
    expect(err.message).toMatch(message);
  });

  it('fails when re-signed by someone else, once the key is pinned', () => {
    const forged = sealBundle(body(other.publicKey), bundle.html, other);
    expect(verifyBundle(received(forged)).publicKey).toBe(other.publicKey);
    expect(failure(received(forged), key.publicKey).code).toBe('KEY_MISMATCH');
  });

  it('fails when a raw output was signed with a digest it does not have', () => {
    const bad = body(key.publicKey);
    const raw = (bad.traces[0] as TraceEvidence).raw;
    if (raw.kind === 'agent-output') raw.sha256 = sha256Hex('something else');
    const err = failure(received(sealBundle(bad, bundle.html, key)));
    expect(err.code).toBe('DIGEST_MISMATCH');
    expect(err.message).toMatch(/trace #7/);
  });
});
