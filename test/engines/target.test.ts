import { describe, expect, it } from 'vitest';
import { resolveTarget } from '../../agent/engines/resolve.ts';

describe('resolveTarget', () => {
  const base = { allowSpecialTargets: false, timeoutMs: 2_000 };
  const lookupTo = (address: string) => async () => address;

  it('gives the tool the resolved address, never the name', async () => {
    expect(await resolveTarget('probe.example', base, lookupTo('8.8.4.4'))).toEqual({
      address: '8.8.4.4',
      version: 4,
    });
  });

  it('refuses a public name that resolves to a private address', async () => {
    await expect(resolveTarget('sneaky.example', base, lookupTo('10.0.0.1'))).rejects.toMatchObject({
      code: 'TARGET_REFUSED',
      message: expect.stringContaining('sneaky.example'),
    });
  });

  it('resolves localhost from the hosts file and refuses it unless special targets are allowed', async () => {
    await expect(resolveTarget('localhost', base)).rejects.toMatchObject({ code: 'TARGET_REFUSED' });
    const allowed = await resolveTarget('localhost', { ...base, allowSpecialTargets: true });
    expect(['127.0.0.1', '::1']).toContain(allowed.address);
  });

  it('refuses an address of the other family than the one asked for', async () => {
    await expect(resolveTarget('8.8.8.8', { ...base, ipVersion: 6 })).rejects.toMatchObject({
      code: 'TARGET_REFUSED',
      message: expect.stringContaining('IPv6'),
    });
  });

  it('turns a lookup failure into a refusal that names the host', async () => {
    const failing = async () => {
      throw Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' });
    };
    await expect(resolveTarget('gone.example', base, failing)).rejects.toMatchObject({
      code: 'TARGET_REFUSED',
      message: expect.stringMatching(/gone\.example.*ENOTFOUND/),
    });
  });

  it('gives up on a lookup that never answers', async () => {
    const hanging = () => new Promise<string>(() => undefined);
    await expect(resolveTarget('slow.example', { ...base, timeoutMs: 50 }, hanging)).rejects.toMatchObject({
      code: 'TARGET_REFUSED',
      message: expect.stringContaining('50 ms'),
    });
  });

  it('refuses a lookup answer that is not an address', async () => {
    await expect(resolveTarget('odd.example', base, lookupTo('-x'))).rejects.toMatchObject({
      code: 'TARGET_REFUSED',
    });
  });

  it('refuses a name that resolves to a disguised private address, naming the name and the address inside', async () => {
    const err = await resolveTarget('sixtofour.example', base, lookupTo('2002:a00:1::1')).catch((e) => e);
    expect(err).toMatchObject({ code: 'TARGET_REFUSED' });
    expect(err.message).toContain('sixtofour.example');
    expect(err.message).toContain('10.0.0.1');
  });

  it('refuses a lookup answer with a zone, even when special targets are allowed', async () => {
    await expect(
      resolveTarget('zoned.example', { ...base, allowSpecialTargets: true }, lookupTo('fe80::1%eth0')),
    ).rejects.toMatchObject({
      code: 'TARGET_REFUSED',
      message: expect.stringMatching(/zoned\.example.*fe80::1%eth0/),
    });
  });
});
