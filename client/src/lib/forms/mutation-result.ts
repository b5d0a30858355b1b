import type { ErrorCode } from '../graphql/generated.ts';

/** The error members of a mutation's result union (they all implement `Error`). */
export interface MutationError {
  __typename: string;
  message: string;
  code: ErrorCode;
  field?: string;
}

/** The typed error of a mutation result, or null when it is the payload. */
export function mutationError<T extends { __typename: string }>(result: T): (T & MutationError) | null {
  return 'code' in result && 'message' in result ? (result as T & MutationError) : null;
}

/** ValidationError.field → the form field: `input.url` → `url`; `input.retrySchedule[2]` or `input.headers.x-a` → their field. */
export function fieldKey(path: string): string {
  return path.replace(/^input\./, '').split(/[.[]/)[0];
}
