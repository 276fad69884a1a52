// Chat templates: renders a tokenizer_config.json `chat_template` (Jinja) with @huggingface/jinja, with the
// variables transformers' apply_chat_template provides (messages, add_generation_prompt, bos_token, ...);
// raise_exception and strftime_now are built into @huggingface/jinja.
import { Template } from '@huggingface/jinja';

export interface ChatMessage {
  role: string;
  content: string;
  [extra: string]: unknown;
}

export interface ChatTemplateVariables {
  bos_token?: string | null;
  eos_token?: string | null;
  unk_token?: string | null;
  pad_token?: string | null;
  additional_special_tokens?: string[];
  [extra: string]: unknown;
}

export interface RenderChatOptions {
  addGenerationPrompt?: boolean;
  /** Extra template variables (tools, documents, enable_thinking, ...), passed through as given. */
  extra?: Record<string, unknown>;
}

const cache = new Map<string, Template>();

function compile(template: string): Template {
  let t = cache.get(template);
  if (!t) {
    try {
      t = new Template(template); // trim_blocks + lstrip_blocks, as transformers renders
    } catch (e) {
      throw new Error(`chat template does not parse: ${(e as Error).message}`);
    }
    if (cache.size > 32) cache.clear();
    cache.set(template, t);
  }
  return t;
}

/** Renders a chat template to text. Messages must each have a string role and content. */
export function renderChatTemplate(
  template: string, messages: ChatMessage[], vars: ChatTemplateVariables, opts: RenderChatOptions = {},
): string {
  if (!Array.isArray(messages)) throw new Error('applyChatTemplate: messages must be an array');
  messages.forEach((m, i) => {
    if (m === null || typeof m !== 'object' || typeof m.role !== 'string') throw new Error(`applyChatTemplate: messages[${i}].role must be a string`);
    if (typeof m.content !== 'string') throw new Error(`applyChatTemplate: messages[${i}].content must be a string`);
  });
  const t = compile(template);
  const ctx: Record<string, unknown> = {
    ...vars,
    ...(opts.extra ?? {}),
    messages,
    add_generation_prompt: opts.addGenerationPrompt ?? false,
  };
  for (const k of ['bos_token', 'eos_token', 'unk_token', 'pad_token']) if (ctx[k] === null || ctx[k] === undefined) delete ctx[k];
  try {
    return t.render(ctx);
  } catch (e) {
    throw new Error(`chat template failed to render: ${(e as Error).message}`);
  }
}
