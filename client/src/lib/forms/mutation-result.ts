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

/**
 * The API names fields by path ("input.contactEmail must be…"); a person reads the form's
 * label ("Contact e-mail must be…"). The path, or the bare key after "input.", is replaced.
 */
export function readableMessage(message: string, path: string, label: string): string {
  const key = fieldKey(path);
  return message.split(path).join(label).replace(new RegExp(`\\binput\\.${key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b`, 'g'), label);
}
