import { badValue, quote } from '../../../protocol/values/quote.ts';

/**
 * `--database` / DETOURWATCH_DATABASE_URL: a PostgreSQL connection URL. Only the form is checked here; the
 * server answers for the rest when the store opens. A password may be in it (better: PGPASSWORD or
 * ~/.pgpass, which the client reads too), so nothing prints the URL as given: see `redactedUrl`.
 */
export function parseDatabaseUrl(text: string): string {
  const value = text.trim();
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw badValue(`${quote(redactedUrl(value))} is not a URL: use postgres://USER@HOST:PORT/DATABASE`);
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw badValue(
      `${quote(redactedUrl(value))} is not a PostgreSQL URL: use postgres://USER@HOST:PORT/DATABASE ` +
        '(the SQLite store is chosen with --data DIR)',
    );
  }
  if (url.hostname === '' && !url.searchParams.has('host')) {
    throw badValue(`${quote(redactedUrl(value))} names no host: use postgres://USER@HOST:PORT/DATABASE`);
  }
  return value;
}

/** The URL without its password (in the user part or a `password=` parameter), for logs and messages. */
export function redactedUrl(text: string): string {
  let url: URL | null = null;
  try {
    url = new URL(text);
  } catch {}
  if (url === null || url.host === '') {
    // Not a URL with a host (`user:secret@host/db` reads as the scheme "user:"): show only what cannot be a
    // secret.
    return text.replace(/:[^:@/]*@/, '@').replace(/password=[^&\s]*/gi, 'password=…');
  }
  url.password = '';
  if (url.searchParams.has('password')) url.searchParams.delete('password');
  return url.toString();
}
