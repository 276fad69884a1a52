// Errors of the run store that a user can act on (unknown run id, ambiguous prefix, deleting a live run).
// The CLI prints these without a stack trace.

export class RunStoreError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RunStoreError';
  }
}

export class RunNotFoundError extends RunStoreError {
  constructor(readonly query: string) {
    super(`no run matches "${query}"; list runs with \`glassbox runs list\``);
    this.name = 'RunNotFoundError';
  }
}
