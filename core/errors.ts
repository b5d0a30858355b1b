// The closed taxonomy of failures a user can fix. GraphQL returns them as typed
// results; anything else is masked for the client and logged with context.

export const ERROR_CODES = [
  'VALIDATION',
  'NOT_FOUND',
  'FORBIDDEN',
  'LIMIT_EXCEEDED',
  'CONFLICT',
  'DELIVERIES_DISABLED',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export class HookyardError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = 'HookyardError';
    this.code = code;
  }
}

/** Bad input; `field` is the input path to fix, e.g. `input.url`. */
export class ValidationError extends HookyardError {
  readonly field: string;
  constructor(field: string, message: string) {
    super('VALIDATION', message);
    this.name = 'ValidationError';
    this.field = field;
  }
}

export class NotFoundError extends HookyardError {
  constructor(what: string, id: string) {
    super('NOT_FOUND', `${what} ${id} does not exist`);
    this.name = 'NotFoundError';
  }
}

export class ForbiddenError extends HookyardError {
  constructor(message = 'this API key is read-only (role VIEWER); use an ADMIN key to change anything') {
    super('FORBIDDEN', message);
    this.name = 'ForbiddenError';
  }
}

export class LimitExceededError extends HookyardError {
  readonly limit: number;
  constructor(message: string, limit: number) {
    super('LIMIT_EXCEEDED', message);
    this.name = 'LimitExceededError';
    this.limit = limit;
  }
}

/** The request is valid but the row's state forbids it (resume a deleted webhook, delete a used integrator). */
export class ConflictError extends HookyardError {
  constructor(message: string) {
    super('CONFLICT', message);
    this.name = 'ConflictError';
  }
}

export class DeliveriesDisabledError extends HookyardError {
  constructor() {
    super('DELIVERIES_DISABLED', 'deliveries are switched off for this tenant; call setDeliveriesEnabled(enabled: true) first');
    this.name = 'DeliveriesDisabledError';
  }
}
