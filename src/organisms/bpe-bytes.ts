// Byte-level pieces of a GPT-2 style BPE tokenizer: the reversible byte <-> printable-character map and the
// GPT-2 pre-tokenizer regex that splits text into words (with their leading space) before merging.

/** GPT-2's pre-tokenizer pattern, as HF's ByteLevel pre-tokenizer (use_regex: true) applies it. */
export const GPT2_PATTERN = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

/**
 * byte (0..255) -> one printable character: printable Latin-1 bytes map to themselves, the rest (controls,
 * space, ...) to U+0100 upwards, so a space becomes "Ġ" and a newline "Ċ".
 */
export const BYTE_TO_CHAR: readonly string[] = (() => {
  const keep = (b: number) => (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
  const out: string[] = new Array(256);
  let next = 256;
  for (let b = 0; b < 256; b++) out[b] = String.fromCharCode(keep(b) ? b : next++);
  return out;
})();

export const CHAR_TO_BYTE: ReadonlyMap<string, number> = new Map(BYTE_TO_CHAR.map((c, b) => [c, b]));

const encoder = new TextEncoder();

/** A string's UTF-8 bytes written with BYTE_TO_CHAR ("Hello world" word " world" -> "Ġworld"). */
export function toByteChars(text: string): string {
  let out = '';
  for (const b of encoder.encode(text)) out += BYTE_TO_CHAR[b];
  return out;
}

/** Inverse of toByteChars (throws on a character outside the map). */
export function fromByteChars(chars: string): string {
  const bytes = new Uint8Array(chars.length);
  for (let i = 0; i < chars.length; i++) {
    const b = CHAR_TO_BYTE.get(chars[i]!);
    if (b === undefined) throw new Error(`fromByteChars: character U+${chars.charCodeAt(i).toString(16)} is not a byte-level character`);
    bytes[i] = b;
  }
  return new TextDecoder().decode(bytes);
}

/** Splits text into GPT-2 pre-tokens (raw strings, not yet byte-mapped). */
export function pretokenize(text: string): string[] {
  return text.match(GPT2_PATTERN) ?? [];
}
