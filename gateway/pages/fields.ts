import type { Context } from 'hono';
import { html } from 'hono/html';
import type { ZodError, z } from 'zod';
import type { AppError } from '../../platform/index.ts';
import { fieldsFromZod } from '../problem.ts';
import { type Html, notice } from './layout.ts';
import type { PageEnv } from './session.ts';

/**
 * Operator forms: each input named after the API field it fills (dotted for nested ones, as
 * the API's problem details name them), so a refusal, whoever finds it (the form's parsing,
 * the route's zod schema, the use case), lands next to its own input.
 */
export type FieldErrors = Map<string, string>;

/** One form's state after a refused post: what was typed, and what was wrong with it. */
export type FormState = {
  form: string;
  values: Record<string, string>;
  errors: FieldErrors;
  /** A refusal that names no field of the form (a rule across fields, say). */
  summary?: string;
};

export type FieldSpec = {
  name: string;
  label: string;
  value: string;
  inputmode?: 'numeric' | 'decimal' | 'text';
  maxlength?: number;
  required?: boolean;
};

/** The value to show: what the operator typed into this form when it was refused, else now's. */
export function shown(state: FormState | undefined, form: string, name: string, now: string) {
  return state?.form === form ? (state.values[name] ?? now) : now;
}

export function errorsOf(state: FormState | undefined, form: string): FieldErrors {
  return state?.form === form ? state.errors : new Map();
}

/** A labelled input; when refused, its reason beside it, tied to it for screen readers. */
export function field(form: string, spec: FieldSpec, errors: FieldErrors): Html {
  const id = `${form}-${spec.name}`.replace(/[^A-Za-z0-9_-]/g, '-');
  const error = errors.get(spec.name);
  return html`<label for="${id}">${spec.label}</label>
    <input id="${id}" name="${spec.name}" value="${spec.value}" inputmode="${spec.inputmode ?? 'text'}" maxlength="${spec.maxlength ?? 100}"${spec.required ? html` required` : ''}${error ? html` aria-invalid="true" aria-describedby="${id}-error"` : ''}>
    ${error ? html`<p class="field-error" id="${id}-error" data-testid="field-error">${error}</p>` : ''}`;
}

export function fieldErrorsFromZod(error: ZodError): FieldErrors {
  return new Map(fieldsFromZod(error).map((f) => [f.field, f.reason]));
}

/**
 * A use case's refusal as field errors where it names fields of the form (`prefix` is how
 * the form nests the use case's own field names), else as the form's summary.
 */
export function refusalState(
  error: AppError,
  form: string,
  values: Record<string, string>,
  prefix = '',
): FormState {
  const errors: FieldErrors = new Map();
  for (const f of error.fields) {
    const name = `${prefix}${f.field}`;
    if (name in values) errors.set(name, f.reason);
  }
  return errors.size > 0
    ? { form, values, errors }
    : { form, values, errors, summary: error.message };
}

/** A schema's verdict joined with the form's own reading errors: the data, or every error. */
export function parsedOrErrors<T>(
  result: z.ZodSafeParseResult<T>,
  errors: FieldErrors,
): { ok: true; data: T } | { ok: false; errors: FieldErrors } {
  if (result.success && errors.size === 0) return { ok: true, data: result.data };
  const all = result.success ? errors : new Map([...fieldErrorsFromZod(result.error), ...errors]);
  return { ok: false, errors: all };
}

/** "Saved." after a redirect here, or the refusal's summary, inside the form it concerns. */
export function formNotice(c: Context<PageEnv>, state: FormState | undefined, form: string): Html {
  const s = c.get('speaker');
  if (state?.form === form) return notice('error', state.summary ?? s.t('form.fix'));
  return c.req.query('saved') === form ? notice('ok', s.t('admin.saved')) : html``;
}
