/** One analysis worker: opens its databases (over the tables the command shares with it), says it is ready, then answers each LineBatch with its BatchOutput. */
import { parentPort, workerData } from 'node:worker_threads';
import { createAnalyzer } from '../server/analyze/pipeline.ts';
import { adoptGeoTables } from '../server/geo/shared-tables.ts';
import { analyzeLines, type LineBatch } from './analyze-batch.ts';
import type { WorkerSetup } from './analyze-pool.ts';

const port = parentPort;
if (port === null) throw new Error('analyze-worker.ts runs only as a worker thread');
const { settings, tables } = workerData as WorkerSetup;
// The tables the command's thread already loaded: shared memory, not a second parse of the ASN CSV.
if (tables !== null) adoptGeoTables(tables);
const analyzer = createAnalyzer(settings.analyzer);
analyzer.preload();
port.postMessage({ ready: true });

port.on('message', (message: { id: number; batch: LineBatch }) => {
  const output = analyzeLines(message.batch, analyzer, settings);
  // Encoded here, off the main thread, into an ArrayBuffer of its own that is moved, not copied.
  const bytes = new TextEncoder().encode(output.text);
  port.postMessage({ id: message.id, output: { ...output, text: bytes } }, [bytes.buffer]);
});
