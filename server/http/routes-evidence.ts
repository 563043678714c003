import { type Context, Hono } from 'hono';
import { DetourwatchError } from '../../protocol/errors.ts';
import { BUNDLE_SUFFIX, type BundleFile } from '../evidence/bundle-document.ts';
import {
  type EvidenceContext,
  type EvidenceReadStore,
  incidentBundle,
  traceBundle,
} from '../evidence/make-bundle.ts';
import { bundleText } from '../evidence/seal.ts';
import type { ExportSlots } from '../history/export-slots.ts';
import { readId, readQuery } from '../history/filters.ts';

export const EVIDENCE_PATHS = {
  incidentBundle: '/api/v1/incidents/:id/bundle',
  traceBundle: '/api/v1/traces/:id/bundle',
} as const;

export interface EvidenceRouteDeps {
  store: EvidenceReadStore;
  /** A bundle is built whole in memory: it takes an export slot while it is. */
  exports: ExportSlots;
  /** The coordinator's key and analysis; absent in an app assembled without one (the bundles answer 503). */
  evidence?: EvidenceContext | undefined;
}

type Build = (store: EvidenceReadStore, id: number, ctx: EvidenceContext) => Promise<BundleFile | null>;

/**
 * Signed evidence bundles (server/evidence): public reads like the rest of the history, one JSON file each
 * (`.dwbundle.json`: the signed document, the signature, the public key and the HTML report).
 */
export function evidenceRoutes(deps: EvidenceRouteDeps): Hono {
  const app = new Hono();

  const answer = async (c: Context, what: 'incident' | 'trace', build: Build) => {
    readQuery(new URL(c.req.url).searchParams, []);
    const id = readId('id', c.req.param('id') ?? '');
    const ctx = deps.evidence;
    if (ctx === undefined) {
      throw new DetourwatchError('UNAVAILABLE', 'this coordinator has no evidence signing key');
    }
    const release = deps.exports.take();
    if (release === null) {
      throw new DetourwatchError('UNAVAILABLE', 'too many exports are running; try again in a moment');
    }
    let bundle: BundleFile | null;
    try {
      bundle = await build(deps.store, id, ctx);
    } finally {
      release();
    }
    if (bundle === null) throw new DetourwatchError('NOT_FOUND', `no ${what} with id ${id}`);
    return c.body(bundleText(bundle), 200, {
      'content-type': 'application/json; charset=utf-8',
      'content-disposition': `attachment; filename="${what}-${id}${BUNDLE_SUFFIX}"`,
      'cache-control': 'no-store',
    });
  };

  app.get(EVIDENCE_PATHS.incidentBundle, (c) => answer(c, 'incident', incidentBundle));
  app.get(EVIDENCE_PATHS.traceBundle, (c) => answer(c, 'trace', traceBundle));
  return app;
}
