// A worker thread of the coordinator's analysis pool (analysis-pool.ts): workers do not inherit the main
// thread's tsx hooks, so this plain-JS entry registers tsx before loading the TypeScript worker.
import { register } from 'tsx/esm/api';

register();
await import('./analysis-worker.ts');
