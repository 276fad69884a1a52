/**
 * The provider interface: one way to ask any model (local engine or OpenAI-compatible HTTP server)
 * for a completion. Providers are named by strings: `local:<model-dir>`, `openai:<model>`,
 * `http://host:port/v1#<model>`. This file holds only types; implementations live beside it.
 */

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface GenerateParams {
  temperature?: number; // 0 = greedy
  topP?: number;
  topK?: number;
  maxTokens?: number;
  stop?: string[];
  seed?: number;
}

export interface GenerateRequest {
  /** Chat messages; or a raw prompt string (completion-style). Exactly one must be given. */
  messages?: ChatMessage[];
  prompt?: string;
  /** Text the assistant turn is forced to begin with (re-prompts such as "My final answer is"). */
  prefill?: string;
  params?: GenerateParams;
  /** Which of N samples for the same request this is: part of every cache key. */
  sampleIndex?: number;
}

export interface TokenUsage {
  promptTokens: number;
  completionTokens: number;
}

export interface Completion {
  /** Generated text (without the prefill). */
  text: string;
  finishReason: 'stop' | 'length';
  usage?: TokenUsage;
  /** True when served from the disk cache. */
  cached?: boolean;
}

export interface Provider {
  /** The provider string it was made from, e.g. `http://127.0.0.1:8000/v1#qwen`. */
  readonly id: string;
  /** Model identity recorded beside results (e.g. judge verdicts). */
  readonly model: string;
  generate(req: GenerateRequest): Promise<Completion>;
  close?(): Promise<void>;
}
