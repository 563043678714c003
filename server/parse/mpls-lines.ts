/**
 * MPLS label stack entries (RFC 4950 ICMP extensions) as each tool prints them. Each reader returns undefined
 * when the text is not that tool's MPLS notation at all, null when it is but the numbers cannot be a label
 * entry (20-bit label, 3-bit traffic class, 8-bit TTL), and the labels otherwise.
 */
import type { MplsLabel } from '../../protocol/trace.ts';
import { MAX_MPLS_LABELS } from './limits.ts';

function entry(label: number, tc: number, s: boolean, ttl: number): MplsLabel | null {
  if (!(label <= 0xfffff && tc <= 7 && ttl <= 255)) return null;
  return { label, tc, s, ttl };
}

/**
 * mtr `-e`: `[MPLS: Lbl 21 TC 0 S 1 TTL 1]`, one entry per line, the lines of one stack together. Some mtr
 * versions print `S u` (their format string lost the bit): `s` is then null, and the caller sets it from the
 * entry's place in the stack.
 */
export function mtrMplsLine(line: string): (Omit<MplsLabel, 's'> & { s: boolean | null }) | null | undefined {
  const m = /^\s*\[MPLS: Lbl (\d{1,8}) TC (\d{1,3}) S (\d|u) TTL (\d{1,3})\]\s*$/.exec(line);
  if (m === null) return /^\s*\[MPLS:/.test(line) ? null : undefined;
  const e = entry(Number(m[1]), Number(m[2]), m[3] !== '0', Number(m[4]));
  return e === null ? null : { ...e, s: m[3] === 'u' ? null : e.s };
}

/** Junos: `MPLS Label=299856 CoS=0 TTL=1 S=1`, one entry per line under the hop. */
export function junosMplsLine(line: string): MplsLabel | null | undefined {
  const m = /^\s*MPLS Label=(\d{1,8}) CoS=(\d{1,3}) TTL=(\d{1,3}) S=([01])\s*$/.exec(line);
  if (m === null) return /^\s*MPLS Label=/.test(line) ? null : undefined;
  return entry(Number(m[1]), Number(m[2]), m[4] === '1', Number(m[3]));
}

/**
 * NX-OS: `[Label=661791 E=0 TTL=1 S=1]` or `[No MPLS labels]`, one line per answered probe of the hop, in probe
 * order. [] stands for "no labels".
 */
export function nxosMplsLine(line: string): MplsLabel[] | null | undefined {
  const t = line.trim();
  if (t === '[No MPLS labels]') return [];
  if (!t.startsWith('[Label=')) return undefined;
  const labels: MplsLabel[] = [];
  for (const m of t.matchAll(/Label=(\d{1,8}) E=(\d{1,3}) TTL=(\d{1,3}) S=([01])/g)) {
    const e = entry(Number(m[1]), Number(m[2]), m[4] === '1', Number(m[3]));
    if (e === null || labels.length >= MAX_MPLS_LABELS) return null;
    labels.push(e);
  }
  return labels.length > 0 ? labels : null;
}

/**
 * Cisco IOS, IOS-XE and IOS-XR: `[MPLS: Label 24005 Exp 0]` or `[MPLS: Labels 16052/16062/39 Exp 0]`, in the
 * hop line after the address. Cisco prints neither the label TTLs nor the bottom-of-stack bit: the last label
 * printed is the bottom, and TTL 0 stands for "not printed".
 */
export function ciscoMplsField(text: string): MplsLabel[] | null | undefined {
  const m = /^\[MPLS: Labels? ([\d/]{1,200}) Exp (\d{1,3})\]$/.exec(text);
  if (m === null) return text.startsWith('[MPLS:') ? null : undefined;
  const numbers = (m[1] as string).split('/');
  if (numbers.length > MAX_MPLS_LABELS || numbers.some((n) => !/^\d{1,8}$/.test(n))) return null;
  const labels: MplsLabel[] = [];
  for (let i = 0; i < numbers.length; i++) {
    const e = entry(Number(numbers[i]), Number(m[2]), i === numbers.length - 1, 0);
    if (e === null) return null;
    labels.push(e);
  }
  return labels;
}
