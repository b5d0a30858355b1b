import { fieldKey, type MutationError } from './mutation-result.ts';

/**
 * Errors of one form: a ValidationError goes next to the field it names (`input.url`
 * → the `url` field, `input.headers.x-a` → `headers`), anything else above the buttons.
 */
export class FormErrors {
  fields = $state<Record<string, string>>({});
  form = $state<string | null>(null);

  /** Field keys this form shows; a ValidationError for another field is shown at the form level. */
  readonly #known: ReadonlySet<string>;

  constructor(fields: string[]) {
    this.#known = new Set(fields);
  }

  clear(): void {
    this.fields = {};
    this.form = null;
  }

  set(field: string, message: string): void {
    this.fields = { ...this.fields, [field]: message };
  }

  show(error: MutationError | Error): void {
    if ('field' in error && typeof error.field === 'string') {
      const key = fieldKey(error.field);
      if (this.#known.has(key)) return this.set(key, error.message);
      return void (this.form = `${error.field}: ${error.message}`);
    }
    this.form = error.message;
  }

  get any(): boolean {
    return this.form !== null || Object.keys(this.fields).length > 0;
  }
}
