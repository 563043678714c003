import { DetourwatchError } from '../../protocol/errors.ts';

/**
 * Territories that count as home with their country: a New York -> San Juan path never leaves the United
 * States. ISO 3166-1 gives them codes of their own (PR, GU, VI, AS, MP, UM), so databases answer those.
 */
export const HOME_TERRITORIES: Readonly<Record<string, readonly string[]>> = {
  US: ['PR', 'GU', 'VI', 'AS', 'MP', 'UM'],
};

/** Home: the first country (named in reasons and `homeCountry`) and every country that counts as home. */
export interface Home {
  primary: string;
  countries: ReadonlySet<string>;
}

function checkedCode(value: unknown): string {
  const code = typeof value === 'string' ? value.trim().toUpperCase() : '';
  if (!/^[A-Z]{2}$/.test(code)) {
    throw new DetourwatchError(
      'CONFIG_INVALID',
      `home country "${String(value)}" is not an ISO 3166-1 alpha-2 code such as US or DE`,
    );
  }
  return code;
}

/**
 * The home set from a list of codes (or one code, or a comma list such as "US,CA"), each with its territories.
 * Throws CONFIG_INVALID naming the first bad code.
 */
export function homeFrom(codes: string | readonly string[]): Home {
  const list = typeof codes === 'string' ? codes.split(',') : codes;
  const listed = list.map(checkedCode);
  const primary = listed[0];
  if (primary === undefined) throw new DetourwatchError('CONFIG_INVALID', 'the home country list is empty');
  const countries = new Set<string>();
  for (const code of listed) {
    countries.add(code);
    for (const territory of HOME_TERRITORIES[code] ?? []) countries.add(territory);
  }
  return { primary, countries };
}
