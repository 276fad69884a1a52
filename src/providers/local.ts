/**
 * The local provider: `local:<model-dir>` runs a Hugging Face folder on glassbox's own engine. Requests
 * that arrive together with the same sampling parameters are generated as one left-padded batch.
 * Chat messages use the model's chat template (a plain "Role: text" layout when it has none).
 */
import { loadModel, generate, type Model } from '../models/index.js';
import type { Completion, GenerateRequest, Provider, ChatMessage } from './types.js';

const models = new Map<string, Model>();

function renderPrompt(model: Model, req: GenerateRequest): number[] {
  const tok = model.tokenizer!;
  if (req.prompt !== undefined) return tok.encode(req.prompt + (req.prefill ?? ''), { addSpecialTokens: true });
  const messages = req.messages as ChatMessage[];
  let text: string;
  if (tok.chatTemplate) text = tok.applyChatTemplate(messages.map((m) => ({ ...m })), { addGenerationPrompt: true });
  else text = `${messages.map((m) => `${m.role[0].toUpperCase()}${m.role.slice(1)}: ${m.content}`).join('\n')}\nAssistant:`;
  const ids = tok.encode(text + (req.prefill ?? ''), { addSpecialTokens: false });
  return tok.chatTemplate ? ids : tok.withBos(ids);
}

interface Pending { req: GenerateRequest; resolve: (c: Completion) => void; reject: (e: unknown) => void }

export class LocalProvider implements Provider {
  readonly id: string;
  readonly model: string;
  private queue: Pending[] = [];
  private scheduled = false;

  constructor(readonly engineModel: Model, dir: string, private readonly maxBatch = 16) {
    if (!engineModel.tokenizer) throw new Error(`local:${dir}: the model folder has no tokenizer.json`);
    this.id = `local:${dir}`;
    this.model = dir;
  }

  generate(req: GenerateRequest): Promise<Completion> {
    if ((req.messages === undefined) === (req.prompt === undefined)) return Promise.reject(new Error('generate: give exactly one of messages or prompt'));
    return new Promise((resolve, reject) => {
      this.queue.push({ req, resolve, reject });
      if (!this.scheduled) { this.scheduled = true; setImmediate(() => this.flush()); }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const key = (r: GenerateRequest) => JSON.stringify(r.params ?? {});
    while (this.queue.length) {
      const k = key(this.queue[0].req);
      const group = this.queue.filter((p) => key(p.req) === k).slice(0, this.maxBatch);
      this.queue = this.queue.filter((p) => !group.includes(p));
      try {
        const params = group[0].req.params ?? {};
        const prompts = group.map((p) => renderPrompt(this.engineModel, p.req));
        const seed = (params.seed ?? 0) * 1000003 + (group[0].req.sampleIndex ?? 0);
        const r = generate(this.engineModel, prompts, {
          maxNewTokens: params.maxTokens ?? 256, temperature: params.temperature ?? 0, topK: params.topK, topP: params.topP,
          stop: params.stop, seed,
        });
        group.forEach((p, i) => p.resolve({
          text: r.texts![i], finishReason: r.finishReasons[i] === 'length' ? 'length' : 'stop',
          usage: { promptTokens: prompts[i].length, completionTokens: r.tokens[i].length },
        }));
      } catch (e) {
        for (const p of group) p.reject(e);
      }
    }
  }

  async close(): Promise<void> { /* the model stays cached for the process */ }
}

/** A LocalProvider over a (process-wide cached) model folder. */
export function localProvider(dir: string): LocalProvider {
  let m = models.get(dir);
  if (!m) { m = loadModel(dir); models.set(dir, m); }
  return new LocalProvider(m, dir);
}
