import { randomBytes } from 'node:crypto';
import { badValue, quote } from '../../protocol/values/quote.ts';

/**
 * Each running coordinator has an instance id, random at start unless `serve --instance-id` names it: its
 * agent leases, delivery claims and peer messages carry it, so coordinators sharing one database tell each
 * other apart. A restarted coordinator is a new instance: what the old one held expires and is taken over.
 */
export function newInstanceId(): string {
  return `dwc_${randomBytes(6).toString('hex')}`;
}

const INSTANCE_ID = /^[A-Za-z0-9_.-]{1,64}$/;

/** `--instance-id`: 1 to 64 letters, digits, `_`, `.` or `-` (it goes into logs and peer messages). */
export function parseInstanceId(text: string): string {
  const id = text.trim();
  if (!INSTANCE_ID.test(id)) {
    throw badValue(`${quote(text)} is not an instance id (1 to 64 letters, digits, _ . or -)`);
  }
  return id;
}
