/**
 * What an evidence bundle holds. One file (`.dwbundle.json`) carries the signed JSON document, the signature,
 * the signer's public key and the HTML report; the document names the report's SHA-256, so the signature
 * covers the report too. Everything a recipient needs to check a verdict is in the document: the raw tool
 * output, every reply, each hop's claims and placement, the physics, the databases and the software.
 */
import type { IncidentDetail, StoredHop, TraceOrigin } from '../../protocol/history-api.ts';
import type { EngineName } from '../../protocol/messages.ts';
import type { ProbeMethod, Reply, TraceTool } from '../../protocol/trace.ts';
import type { GeoDatabaseBuild, Verdict } from '../../protocol/verdict.ts';

export const BUNDLE_FORMAT = 'detourwatch-evidence-bundle';
export const BUNDLE_VERSION = 1;
export const SIGNATURE_ALGORITHM = 'Ed25519';
/** How the signed bytes are made from the document (canonical-json.ts). */
export const CANONICALIZATION = 'RFC 8785 JSON canonicalization (JCS) of `document`, UTF-8';
export const REPORT_MEDIA_TYPE = 'text/html; charset=utf-8';
/** The file name ending `export` writes and the API suggests. */
export const BUNDLE_SUFFIX = '.dwbundle.json';

export interface Position {
  lat: number;
  lon: number;
}

/** The output exactly as the agent sent it, with what the coordinator's ingest recorded about it. */
export interface AgentOutput {
  kind: 'agent-output';
  engine: EngineName;
  resultId: string;
  taskId: string | null;
  target: string;
  startedAt: string;
  durationMs: number;
  receivedAt: string;
  /** Why (part of) it could not be parsed or judged at ingest; null when all of it was. */
  ingestError: string | null;
  /** SHA-256 (hex) of `output` as UTF-8: names the trace whose output was changed, should one be. */
  sha256: string;
  output: string;
}

/** No raw output: imported traces keep none, and retention empties old ones. */
export interface NoRawOutput {
  kind: 'not-kept';
  why: string;
}

export type RawEvidence = AgentOutput | NoRawOutput;

/** Where each reply of the hop table comes from. */
export interface RepliesSource {
  /** `raw-output`: the raw output parsed again (server/parse); `stored-hops`: only the store's rows. */
  from: 'raw-output' | 'stored-hops';
  /** Why not from the raw output, or where the two disagree; null when nothing needs saying. */
  note: string | null;
}

/** The speed-of-light test of one hop's location claim, measured from the prober's position. */
export interface HopPhysics {
  /** The place tested: the accepted placement, or for `refuted` the claim physics threw out. */
  claim: Position & { country: string | null; city: string | null };
  /** Great-circle km from the prober to the claim. */
  distanceKm: number;
  /** The hop's lowest RTT. */
  rttMs: number;
  /** The farthest the reply can have come from: rttMs x kmPerMs. */
  boundKm: number;
  /** The RTT the claim needs (distance less the database's accuracy radius, over kmPerMs), as judged. */
  neededRttMs: number | null;
  /** Whether the hop's own RTT allows the claim (a later reply can still refute it: see refutedHops). */
  ownRttAllows: boolean | null;
}

export interface HopEvidence {
  ttl: number;
  /** Every reply at this TTL, as the tool printed it; null when the raw output is not available. */
  replies: Reply[] | null;
  /** Null when the hop has no located claim or the prober's position is unknown. */
  physics: HopPhysics | null;
}

export interface TraceEvidence {
  id: number;
  origin: TraceOrigin;
  agentId: string | null;
  incidentId: number | null;
  startedAt: string;
  tool: TraceTool;
  method: ProbeMethod;
  ipVersion: 4 | 6;
  source: { ip: string | null; position: Position | null };
  destination: { ip: string | null; name: string | null };
  raw: RawEvidence;
  replies: RepliesSource;
  /** Per TTL: replies and physics. The claims, the chosen placement and its provenance are in verdict.hops. */
  hops: HopEvidence[];
  /** What the store kept per address and TTL (lowest RTT, reply count); empty when retention purged them. */
  storedHops: StoredHop[];
  hopsPurged: boolean;
  /** The verdict exactly as stored: readings, claims, placements, refuted claims, foreign hops, reason. */
  verdict: Verdict;
}

export interface VantagePointEvidence {
  agentId: string;
  name: string | null;
  /** Where the agent says it is (its latest hello). */
  claimedPosition: Position | null;
  /** The coordinator's belief about that claim, when it keeps one (verified, unverified, contradicted). */
  locationStatus: string | null;
  locationReason: string | null;
  traceIds: number[];
}

export interface DatabaseEvidence extends GeoDatabaseBuild {
  /** SHA-256 (hex) of the file, when known: from the verdict, or the build this coordinator has open. */
  sha256: string | null;
  traceIds: number[];
}

export interface EvidenceDocument {
  format: typeof BUNDLE_FORMAT;
  version: typeof BUNDLE_VERSION;
  subject: { kind: 'incident'; id: number } | { kind: 'trace'; id: number };
  title: string;
  createdAt: string;
  software: { name: 'detourwatch'; version: string; protocolVersion: number };
  signer: { algorithm: typeof SIGNATURE_ALGORITHM; publicKey: string };
  analysis: { kmPerMs: number; homeCountries: string[] };
  incident: IncidentDetail | null;
  vantagePoints: VantagePointEvidence[];
  databases: DatabaseEvidence[];
  traces: TraceEvidence[];
  /** The HTML report beside the document in the bundle file. */
  report: { mediaType: typeof REPORT_MEDIA_TYPE; bytes: number; sha256: string };
}

/** The document before its report exists (the report is rendered from it). */
export type DocumentBody = Omit<EvidenceDocument, 'report'>;

/** The bundle file. */
export interface BundleFile {
  format: typeof BUNDLE_FORMAT;
  version: typeof BUNDLE_VERSION;
  document: EvidenceDocument;
  signature: { algorithm: typeof SIGNATURE_ALGORITHM; canonicalization: string; value: string };
  /** The same key as document.signer.publicKey, for a reader who does not open the document. */
  publicKey: string;
  html: string;
}
