import { createHash, randomInt, timingSafeEqual } from 'node:crypto';
import { crc32 } from 'node:zlib';

/**
 * The secret format of API.md section 2: `sgp_` + 30 random base62 characters + the CRC-32 of
 * those 30 characters in base62, left-padded with `0` to 6 characters — 40 in all. The checksum
 * lets a typo or a truncated paste be refused without a database look-up, and lets secret
 * scanners recognise a statusgraph token.
 */
const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const PREFIX = 'sgp_';
const RANDOM_LENGTH = 30;
const CHECKSUM_LENGTH = 6;
export const SECRET_LENGTH = PREFIX.length + RANDOM_LENGTH + CHECKSUM_LENGTH;
/** How much of a secret may be shown (`ApiToken.prefix`, logs, audit). */
export const DISPLAY_PREFIX_LENGTH = 12;

const SHAPE = new RegExp(`^${PREFIX}[0-9A-Za-z]{${RANDOM_LENGTH + CHECKSUM_LENGTH}}$`);

function base62(value: number, width: number): string {
  let out = '';
  for (let rest = value; rest > 0; rest = Math.floor(rest / 62)) {
    out = ALPHABET[rest % 62] + out;
  }
  return out.padStart(width, '0');
}

function checksum(random: string): string {
  return base62(crc32(random), CHECKSUM_LENGTH);
}

/** A new secret from the operating system's CSPRNG (randomInt draws without modulo bias). */
export function generateSecret(): string {
  let random = '';
  for (let i = 0; i < RANDOM_LENGTH; i++) {
    random += ALPHABET[randomInt(ALPHABET.length)];
  }
  return PREFIX + random + checksum(random);
}

/** True when the string has the shape and a matching checksum; no database involved. */
export function isWellFormedSecret(secret: string): boolean {
  if (!SHAPE.test(secret)) {
    return false;
  }
  const random = secret.slice(PREFIX.length, PREFIX.length + RANDOM_LENGTH);
  const expected = Buffer.from(checksum(random));
  // The checksum is not a secret, but comparing in constant time costs nothing and leaves no doubt.
  return timingSafeEqual(expected, Buffer.from(secret.slice(-CHECKSUM_LENGTH)));
}

/** What is stored instead of the secret: its SHA-256, hex. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/**
 * Whether a stored hash is the hash of the presented secret, in constant time. The database
 * finds the row by an index on the hash; this confirms it in code, so neither a collation nor
 * the time a comparison takes decides whether a secret is accepted.
 */
export function isHashOf(storedHash: string | null, secretHash: string): boolean {
  if (storedHash === null || storedHash.length !== secretHash.length) {
    return false;
  }
  return timingSafeEqual(Buffer.from(storedHash), Buffer.from(secretHash));
}

/** `text` with every whole secret cut to its display prefix (for anything a client wrote). */
export function maskSecrets(text: string): string {
  return text.replace(
    new RegExp(
      `(${PREFIX}[0-9A-Za-z]{${DISPLAY_PREFIX_LENGTH - PREFIX.length}})[0-9A-Za-z]{${SECRET_LENGTH - DISPLAY_PREFIX_LENGTH}}`,
      'g',
    ),
    '$1…',
  );
}

export function displayPrefix(secret: string): string {
  return secret.slice(0, DISPLAY_PREFIX_LENGTH);
}
