import { isIP } from 'node:net';

/** One alphabetic or numeric run inside a hostname label. */
export interface HostnameToken {
  text: string;
  kind: 'alpha' | 'digits';
  /**
   * Which label, counted from the right among the labels before the registered domain (0 = the one next to it):
   * `dllstx09` in `ae-1.r21.dllstx09.us.bb.gin.ntt.net` is label 3. Counted from the right because an
   * operator's names vary in their interface part on the left and keep their place label's distance from the domain.
   */
  label: number;
  /** Which `-`/`_`-separated part of the label. */
  part: number;
  /** Whether it is the first run of its part (`dfw` in `dfw25s12`; not `s` in it). */
  startsPart: boolean;
  /** Whether it is its part's only run (`sjc`, `amsterdam`). */
  wholePart: boolean;
  /** Whether digits follow it directly in its part (`dllstx` in `dllstx09`). */
  beforeDigits: boolean;
}

export interface TokenizedHostname {
  /** Lower case, without a trailing dot. */
  hostname: string;
  /** The registered domain (`ntt.net`, `bt.co.uk`): the suffix a naming convention belongs to. */
  suffix: string;
  /** The labels before the suffix, left to right. */
  labels: string[];
  tokens: HostnameToken[];
}

/**
 * Second-level words under which a two-letter country domain registers names one level lower (`co.uk`,
 * `com.au`, `net.br`, `ne.jp`): a simple public-suffix heuristic, not the full Public Suffix List.
 */
const SECOND_LEVEL_WORDS = new Set([
  'co',
  'com',
  'net',
  'org',
  'ac',
  'ad',
  'ne',
  'or',
  'edu',
  'gov',
  'gob',
  'go',
  'gen',
]);

function registeredLabels(labels: readonly string[]): number {
  const tld = labels[labels.length - 1] ?? '';
  const second = labels[labels.length - 2] ?? '';
  return tld.length === 2 && SECOND_LEVEL_WORDS.has(second) && labels.length >= 3 ? 3 : 2;
}

const LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;

/**
 * Splits a reverse name into its registered domain and the tokens of the labels before it. Null for what is no
 * usable host name: an address literal (tools print the address as the name with -n), one label, or text
 * that is not a DNS name (names are untrusted input).
 */
export function tokenizeHostname(name: string): TokenizedHostname | null {
  const hostname = name.trim().toLowerCase().replace(/\.$/, '');
  if (hostname.length === 0 || hostname.length > 253 || isIP(hostname) !== 0) return null;
  const all = hostname.split('.');
  if (all.length < 2 || !all.every((l) => LABEL.test(l))) return null;
  const keep = registeredLabels(all);
  const labels = all.slice(0, Math.max(0, all.length - keep));
  const suffix = all.slice(all.length - keep).join('.');
  const tokens: HostnameToken[] = [];
  labels.forEach((label, index) => {
    const fromRight = labels.length - 1 - index;
    label.split(/[-_]/).forEach((part, partIndex) => {
      const runs = part.match(/[a-z]+|[0-9]+/g) ?? [];
      runs.forEach((text, i) => {
        tokens.push({
          text,
          kind: /^[0-9]/.test(text) ? 'digits' : 'alpha',
          label: fromRight,
          part: partIndex,
          startsPart: i === 0,
          wholePart: runs.length === 1,
          beforeDigits: /^[0-9]/.test(runs[i + 1] ?? ''),
        });
      });
    });
  });
  return { hostname, suffix, labels, tokens };
}

/** The alphabetic parts of one label, in order (`n75-new-york` -> new, york), for names written across parts. */
export function alphaParts(tokenized: TokenizedHostname, label: number): HostnameToken[] {
  return tokenized.tokens.filter((t) => t.label === label && t.kind === 'alpha' && t.startsPart);
}
