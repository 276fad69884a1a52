// The error a provider throws when a request finally fails: says which provider, what status,
// how many attempts were made, and whether the failure was of a retryable kind.

export class ProviderError extends Error {
  constructor(
    message: string,
    readonly info: {
      providerId: string;
      status?: number;
      attempts: number;
      retryable: boolean;
      cause?: unknown;
    },
  ) {
    super(message);
    this.name = 'ProviderError';
  }
}
