// A scripted provider for tests and demos: answers come from a function of the request, so code that
// takes a Provider can be exercised offline without a model or a server.
import type { Completion, GenerateRequest, Provider } from './types.js';

export type ScriptFn = (req: GenerateRequest, call: number) => string | Completion | Promise<string | Completion>;

export class ScriptedProvider implements Provider {
  readonly id: string;
  readonly model: string;
  /** Every request received, in order. */
  readonly requests: GenerateRequest[] = [];

  constructor(private readonly script: ScriptFn, opts: { id?: string; model?: string } = {}) {
    this.model = opts.model ?? 'scripted';
    this.id = opts.id ?? `scripted:${this.model}`;
  }

  async generate(req: GenerateRequest): Promise<Completion> {
    const call = this.requests.length;
    this.requests.push(req);
    const out = await this.script(req, call);
    return typeof out === 'string' ? { text: out, finishReason: 'stop' } : out;
  }
}

/** A provider that replays a fixed list of answers in order (cycling when exhausted). */
export function replayProvider(answers: string[], model = 'replay'): ScriptedProvider {
  if (answers.length === 0) throw new Error('replayProvider: needs at least one answer');
  return new ScriptedProvider((_req, call) => answers[call % answers.length]!, { model });
}
