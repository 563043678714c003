// A worker thread of `detourwatch analyze --jobs N`: workers do not inherit the main thread's tsx hooks,
// so this plain-JS entry registers tsx before loading the TypeScript worker.
import { register } from 'tsx/esm/api';

register();
await import('./analyze-worker.ts');
