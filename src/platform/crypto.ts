import { createHash, randomBytes, scrypt as scryptCb, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

const scrypt = promisify(scryptCb) as (pw: string, salt: Buffer, len: number) => Promise<Buffer>;

/** A 256-bit random secret, base64url, with a readable kind prefix (`lb_wk_`, `lb_sk_`, ...). */
export function newSecret(prefix: string): string {
  return prefix + randomBytes(32).toString('base64url');
}

export function newId(prefix = ''): string {
  return prefix + randomBytes(12).toString('base64url');
}

/** Keys are high-entropy, so one SHA-256 is the stored form; passwords use scrypt below. */
export function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

export async function hashPassword(pw: string): Promise<string> {
  const salt = randomBytes(16);
  const dk = await scrypt(pw, salt, 32);
  return `scrypt$${salt.toString('base64')}$${dk.toString('base64')}`;
}

export async function verifyPassword(pw: string, stored: string): Promise<boolean> {
  const [alg, saltB64, dkB64] = stored.split('$');
  if (alg !== 'scrypt' || !saltB64 || !dkB64) return false;
  const expected = Buffer.from(dkB64, 'base64');
  const dk = await scrypt(pw, Buffer.from(saltB64, 'base64'), expected.length);
  return timingSafeEqual(dk, expected);
}
