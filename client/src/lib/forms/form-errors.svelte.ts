import { fieldKey, readableMessage, type MutationError } from './mutation-result.ts';

/**
 * Errors of one form: a ValidationError goes next to the field it names (`input.url`
 * → the `url` field, `input.headers.x-a` → `headers`), anything else above the buttons.
 */
export class FormErrors {
  fields = $state<Record<string, string>>({});
  form = $state<string | null>(null);

  /** Field keys this form shows; a ValidationError for another field is shown at the form level. */
  readonly #known: ReadonlySet<string>;
  /** The label a person reads for each field key, used instead of the API's path (`input.contactEmail`). */
  readonly #labels: Readonly<Record<string, string>>;

  constructor(fields: string[] | Record<string, string>) {
    this.#labels = Array.isArray(fields) ? {} : fields;
    this.#known = new Set(Array.isArray(fields) ? fields : Object.keys(fields));
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
      const message = readableMessage(error.message, error.field, this.#labels[key] ?? key);
      if (this.#known.has(key)) return this.set(key, message);
      return void (this.form = message.startsWith(this.#labels[key] ?? key) ? message : `${this.#labels[key] ?? key}: ${message}`);
    }
    this.form = error.message;
  }

  get any(): boolean {
    return this.form !== null || Object.keys(this.fields).length > 0;
  }
}

