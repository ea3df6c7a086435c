import { createHash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import {
  DISPLAY_PREFIX_LENGTH,
  SECRET_LENGTH,
  displayPrefix,
  generateSecret,
  hashSecret,
  isHashOf,
  isWellFormedSecret,
} from '../../src/tokens/secret';

// The reference implementation of API.md section 2, written independently of src/tokens/secret.ts.
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

function toBase62(value: number): string {
  let digits = '';
  let rest = BigInt(value);
  do {
    digits = BASE62[Number(rest % 62n)] + digits;
    rest /= 62n;
  } while (rest > 0n);
  return digits;
}

function expectedChecksum(random: string): string {
  return toBase62(crc32(random)).padStart(6, '0');
}

function parts(secret: string): { prefix: string; random: string; checksum: string } {
  return { prefix: secret.slice(0, 4), random: secret.slice(4, 34), checksum: secret.slice(34) };
}

/** The same secret with the character at `index` replaced by another base62 character. */
function withCharChanged(secret: string, index: number, step = 1): string {
  const current = BASE62.indexOf(secret[index]);
  const replacement = BASE62[(current + step) % BASE62.length];
  return secret.slice(0, index) + replacement + secret.slice(index + 1);
}

describe('secret format (API.md section 2)', () => {
  const secrets = Array.from({ length: 500 }, () => generateSecret());

  it('is 40 characters: sgp_ followed by 36 base62 characters', () => {
    expect(SECRET_LENGTH).toBe(40);
    for (const secret of secrets) {
      expect(secret).toHaveLength(40);
      expect(secret).toMatch(/^sgp_[0-9A-Za-z]{36}$/);
    }
  });

  it('ends with the base62 CRC-32 of the 30 random characters, left-padded with 0', () => {
    for (const secret of secrets) {
      const { prefix, random, checksum } = parts(secret);
      expect(prefix).toBe('sgp_');
      expect(random).toHaveLength(30);
      expect(checksum).toBe(expectedChecksum(random));
    }
  });

  it('pads small checksums with leading zeros (reference check of the padding rule)', () => {
    // A CRC-32 below 62^5 (about a fifth of them) has at most 5 base62 digits and needs padding.
    expect(toBase62(0)).toBe('0');
    expect(toBase62(61)).toBe('z');
    expect(toBase62(62)).toBe('10');
    expect(toBase62(0xffffffff)).toBe('4gfFC3');
    expect(toBase62(61).padStart(6, '0')).toBe('00000z');
    // About 21% of 500 secrets have such a checksum: none at all would be a one in 10^50 chance.
    const padded = secrets.filter((s) => crc32(parts(s).random) < 62 ** 5);
    expect(padded.length).toBeGreaterThan(0);
    for (const secret of padded) {
      expect(parts(secret).checksum.startsWith('0')).toBe(true);
      expect(parts(secret).checksum).toBe(expectedChecksum(parts(secret).random));
    }
  });

  it('draws the random part from the whole alphabet (not a constant or a narrow range)', () => {
    const randoms = secrets.map((s) => parts(s).random);
    expect(new Set(randoms).size).toBe(randoms.length);
    const used = new Set(randoms.join(''));
    // 500 × 30 draws from 62 characters: every character turns up with near certainty.
    expect(used.size).toBe(62);
  });

  it('accepts every generated secret and a secret built by the reference implementation', () => {
    for (const secret of secrets) {
      expect(isWellFormedSecret(secret)).toBe(true);
    }
    const random = 'abcdefghijABCDEFGHIJ0123456789';
    expect(isWellFormedSecret(`sgp_${random}${expectedChecksum(random)}`)).toBe(true);
  });

  it('detects any single changed character', () => {
    for (const secret of secrets.slice(0, 50)) {
      for (let index = 4; index < 40; index++) {
        for (const step of [1, 31]) {
          expect(isWellFormedSecret(withCharChanged(secret, index, step))).toBe(false);
        }
      }
    }
  });

  it('refuses wrong shapes: truncated, extended, other prefix, non-base62 characters', () => {
    const secret = secrets[0];
    expect(isWellFormedSecret(secret.slice(0, 39))).toBe(false);
    expect(isWellFormedSecret(`${secret}0`)).toBe(false);
    expect(isWellFormedSecret(`sgq_${secret.slice(4)}`)).toBe(false);
    expect(isWellFormedSecret(`SGP_${secret.slice(4)}`)).toBe(false);
    expect(isWellFormedSecret(`${secret.slice(0, 10)}-${secret.slice(11)}`)).toBe(false);
    expect(isWellFormedSecret('')).toBe(false);
    expect(isWellFormedSecret('sgp_short')).toBe(false);
    expect(isWellFormedSecret(` ${secret.slice(1)}`)).toBe(false);
  });

  it('hashSecret is the SHA-256 of the secret, in lowercase hex', () => {
    for (const secret of secrets.slice(0, 20)) {
      const hash = hashSecret(secret);
      expect(hash).toMatch(/^[0-9a-f]{64}$/);
      expect(hash).toBe(createHash('sha256').update(secret, 'utf8').digest('hex'));
    }
    expect(hashSecret('abc')).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });

  it('displayPrefix is the first 12 characters', () => {
    expect(DISPLAY_PREFIX_LENGTH).toBe(12);
    for (const secret of secrets.slice(0, 20)) {
      const prefix = displayPrefix(secret);
      expect(prefix).toHaveLength(12);
      expect(secret.startsWith(prefix)).toBe(true);
      expect(prefix.startsWith('sgp_')).toBe(true);
    }
  });
});

describe('isHashOf', () => {
  const secret = generateSecret();
  const hash = hashSecret(secret);

  it('accepts the stored hash of the presented secret', () => {
    expect(isHashOf(hash, hashSecret(secret))).toBe(true);
  });

  it.each([
    ['another secret’s hash', hashSecret(generateSecret())],
    ['the same hash in capitals (a case-insensitive collation would match it)', hash.toUpperCase()],
    ['a prefix of the hash', hash.slice(0, 32)],
    ['an empty string', ''],
  ])('refuses %s', (_name, stored) => {
    expect(isHashOf(stored, hash)).toBe(false);
  });

  it('refuses a missing hash (a token without a previous secret)', () => {
    expect(isHashOf(null, hash)).toBe(false);
  });
});
