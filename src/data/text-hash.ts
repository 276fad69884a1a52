// Normalised text hashing for deduplication: two texts that differ only in case, accents-as-composed,
// punctuation or whitespace get the same hash.
import { createHash } from 'node:crypto';

/** Lower-cased NFKC text with every run of non-letters/digits collapsed to one space, trimmed. */
export function normalizeForDedup(text: string): string {
  // ASCII text is its own NFKC form and needs no Unicode classes: take the fast path
  if (/^[\x00-\x7f]*$/.test(text)) return text.toLowerCase().replace(/[^a-z0-9]+/g, ' ').trim();
  return text.normalize('NFKC').toLowerCase().replace(/[^\p{L}\p{N}]+/gu, ' ').trim();
}

/** SHA-1 (hex) of normalizeForDedup(text). */
export function normalizedHash(text: string): string {
  return createHash('sha1').update(normalizeForDedup(text)).digest('hex');
}
