// Splits long documents into chunks of about `maxChars`, at paragraph breaks where possible and at
// sentence ends inside long paragraphs (State of the Union addresses have no paragraph breaks at all).

const SENTENCE_END = /(?<=[.!?]["'”’)]?)\s+(?=["“(]?[A-Z0-9])/;

function splitLongParagraph(paragraph: string, maxChars: number): string[] {
  const out: string[] = [];
  let current = '';
  for (const sentence of paragraph.split(SENTENCE_END)) {
    if (current !== '' && current.length + 1 + sentence.length > maxChars) {
      out.push(current);
      current = sentence;
    } else {
      current = current === '' ? sentence : `${current} ${sentence}`;
    }
  }
  if (current !== '') out.push(current);
  return out;
}

/** Chunks of at most ~maxChars (a single sentence longer than that stays whole); maxChars <= 0 returns [text]. */
export function chunkText(text: string, maxChars: number): string[] {
  if (maxChars <= 0 || text.length <= maxChars) return [text];
  const pieces: string[] = [];
  for (const p of text.split(/\n\s*\n/)) {
    if (p.trim() === '') continue;
    pieces.push(...(p.length > maxChars ? splitLongParagraph(p, maxChars) : [p]));
  }
  const chunks: string[] = [];
  let current = '';
  for (const piece of pieces) {
    if (current !== '' && current.length + 2 + piece.length > maxChars) {
      chunks.push(current);
      current = piece;
    } else {
      current = current === '' ? piece : `${current}\n\n${piece}`;
    }
  }
  if (current !== '') chunks.push(current);
  return chunks;
}
