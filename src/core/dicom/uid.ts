/**
 * DICOM UIDs under the 2.25 root (ISO/IEC 9834-8: a UUID written as one decimal integer), which
 * needs no registered organisation root and is what most research tools use.
 *
 * New instances get random UIDs (UUID version 4 from crypto.getRandomValues, present as a global
 * in Node ≥ 20 and browsers): UIDs must be unique, not reproducible, so they are the one random
 * draw that does not come from the project's seeded generator. Writers accept an injected
 * `UidSource` so tests can make them deterministic.
 *
 * `nameUid` derives a stable UID from a name (UUID version 8, "custom", over a 128-bit FNV-1a hash):
 * used where the same input must always give the same UID, e.g. a study UID for a source series
 * that has none, so a SEG and a derived series written from it still share one study.
 */

export type UidSource = () => string;

const UUID_BYTES = 16;

function bytesToUid(bytes: Uint8Array, version: number): string {
  // RFC 9562: version in the high nibble of byte 6, variant 10xx in byte 8.
  bytes[6] = (bytes[6] & 0x0f) | (version << 4);
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  let n = 0n;
  for (const b of bytes) n = (n << 8n) | BigInt(b);
  return `2.25.${n.toString(10)}`;
}

/** A new random UID, 2.25.<decimal of a version-4 UUID>. At most 44 characters (limit 64). */
export function randomUid(): string {
  const c = (globalThis as { crypto?: { getRandomValues?: (a: Uint8Array) => Uint8Array } }).crypto;
  if (!c?.getRandomValues) throw new Error('randomUid: no crypto.getRandomValues in this environment');
  return bytesToUid(c.getRandomValues(new Uint8Array(UUID_BYTES)), 4);
}

const FNV128_OFFSET = 0x6c62272e07bb014262b821756295c58dn;
const FNV128_PRIME = 0x0000000001000000000000000000013bn;
const MASK128 = (1n << 128n) - 1n;

/** A stable UID derived from `name` (same name → same UID). */
export function nameUid(name: string): string {
  let h = FNV128_OFFSET;
  for (const b of new TextEncoder().encode(name)) {
    h ^= BigInt(b);
    h = (h * FNV128_PRIME) & MASK128;
  }
  const bytes = new Uint8Array(UUID_BYTES);
  for (let n = UUID_BYTES - 1; n >= 0; n--) {
    bytes[n] = Number(h & 0xffn);
    h >>= 8n;
  }
  return bytesToUid(bytes, 8);
}

/** A UidSource counting from a stable base: for tests that compare whole files. */
export function sequentialUids(seedName: string): UidSource {
  let n = 0;
  return () => nameUid(`${seedName}#${n++}`);
}

/** ImplementationClassUID of the files this project writes (fixed, so readers can tell our files apart). */
export const IMPLEMENTATION_CLASS_UID = nameUid('FreeTumor Workbench DICOM writer');
export const IMPLEMENTATION_VERSION_NAME = 'FREETUMOR_WB';

/** True for a syntactically valid UID: ≤ 64 chars, dot-separated numbers without leading zeros. */
export function isValidUid(uid: string): boolean {
  return uid.length > 0 && uid.length <= 64 && /^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*$/.test(uid);
}
