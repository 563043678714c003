/**
 * The one error mapping of the HTTP API (server/http/error-response.ts): routes throw, the code picks the
 * status, every answer has one shape, and a fault of the coordinator is logged once and never shown.
 */
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { DetourwatchError } from '../../protocol/errors.ts';
import { ParameterError } from '../../server/history/parameter-error.ts';
import { API_ERROR_STATUS, answerErrors } from '../../server/http/error-response.ts';

function appThrowing(err: unknown) {
  const logged: string[] = [];
  const routes = new Hono();
  routes.get('/fails', () => {
    throw err;
  });
  // Mounted as the coordinator mounts its route groups: the errors of a sub-app reach the one handler.
  const app = answerErrors(new Hono().route('/', routes), (line) => logged.push(line));
  return { app, logged };
}

describe('the API error mapping', () => {
  it.each(Object.entries(API_ERROR_STATUS))('answers %s with %i and its message', async (code, status) => {
    const { app, logged } = appThrowing(new DetourwatchError(code as never, `what ${code} says`));
    const res = await app.request('/fails');
    expect(res.status).toBe(status);
    expect(await res.json()).toEqual({ error: { code, message: `what ${code} says` } });
    expect(logged).toEqual([]);
  });

  it('names the parameter of a ParameterError', async () => {
    const res = await appThrowing(new ParameterError('since', '"x" is not a time')).app.request('/fails');
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      error: { code: 'BAD_PARAMETER', message: 'since: "x" is not a time', parameter: 'since' },
    });
  });

  it('tells when to retry an UNAVAILABLE answer', async () => {
    const res = await appThrowing(new DetourwatchError('UNAVAILABLE', 'busy')).app.request('/fails');
    expect(res.status).toBe(503);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it.each([
    ['a plain Error', new TypeError('secret detail at /home/operator/data')],
    ['a code the API does not answer with', new DetourwatchError('STORE_FAILED', 'secret detail in SQL')],
  ])('answers %s with 500 INTERNAL, logs it once with its stack, shows nothing of it', async (_, err) => {
    const { app, logged } = appThrowing(err);
    const res = await app.request('/fails');
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(JSON.parse(text)).toEqual({
      error: { code: 'INTERNAL', message: 'internal error; the coordinator log has the details' },
    });
    expect(text).not.toContain('secret');
    expect(logged).toHaveLength(1);
    expect(logged[0]).toContain('GET /fails');
    expect(logged[0]).toContain('secret detail');
    expect(logged[0]).toContain('error-response.test.ts');
  });

  it('answers a route it does not have as NOT_FOUND, in the same shape', async () => {
    const res = await appThrowing(null).app.request('/nothing?x=1', { method: 'DELETE' });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: { code: 'NOT_FOUND', message: 'no route DELETE /nothing' } });
  });
});
