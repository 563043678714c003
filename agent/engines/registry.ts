import { mtr } from './mtr.ts';
import { scamper } from './scamper.ts';
import { traceroute } from './traceroute.ts';
import type { EngineName, EngineSpec } from './types.ts';

export const ENGINES: Readonly<Record<EngineName, EngineSpec>> = { scamper, mtr, traceroute };
