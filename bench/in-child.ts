/** Generic child entry: imports a bench module, calls one of its exported functions, answers the result. */
import { childJob, reply, runChildMain } from './child.ts';

interface Call {
  module: string;
  fn: string;
  args: unknown[];
}

runChildMain(async () => {
  const call = await childJob<Call>();
  const mod = (await import(call.module)) as Record<string, (...args: unknown[]) => unknown>;
  const fn = mod[call.fn];
  if (typeof fn !== 'function') throw new Error(`${call.module} exports no function ${call.fn}`);
  reply({ type: 'result', value: await fn(...call.args) });
  process.disconnect();
});
