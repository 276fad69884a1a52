// The schema of evaluation datasets (one JSON object per JSONL line): a question, its answer(s), optional
// context / paragraphs / choices, and any extra fields, which are kept as they are.
import { z } from 'zod';

export const EvalItemSchema = z.looseObject({
  id: z.union([z.string(), z.number()]).optional(),
  question: z.string().min(1, 'question must not be empty'),
  /** One gold answer, or several accepted answers. */
  answer: z.union([z.string(), z.array(z.string()).min(1, 'answer list must not be empty')]),
  context: z.string().optional(),
  paragraphs: z.array(z.string()).optional(),
  choices: z.array(z.string()).min(2, 'choices needs at least two entries').optional(),
});

export type EvalItem = z.infer<typeof EvalItemSchema>;

/** An item as readDataset returns it: id always set (the line number when the file has none). */
export type DatasetItem = EvalItem & { id: string };

/** "answer: Invalid input: ...; question: ..." from a zod error, naming each field. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((i) => `${i.path.length > 0 ? `field "${i.path.join('.')}"` : 'item'}: ${i.message}`)
    .join('; ');
}

/** The accepted answers of an item as a list. */
export function answersOf(item: Pick<EvalItem, 'answer'>): string[] {
  return Array.isArray(item.answer) ? item.answer : [item.answer];
}
