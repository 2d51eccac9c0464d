import type { FieldProblem } from '../platform/index.ts';

/**
 * What the hub accepts inside any text it is given: a JSON string or key, a query or path
 * parameter, a line of an uploaded file. One rule for every route, so that no handler and no
 * schema has to remember it. PostgreSQL refuses U+0000 in text (a 500 before this rule), other
 * control characters have no business in names, ids or codes and break the CSVs and logs they
 * end up in, and a lone surrogate is not text at all (it cannot be encoded as UTF-8). Tab, line
 * feed and carriage return stay allowed: free-text fields (descriptions) may hold them, and
 * each schema may be stricter.
 */
export const textRule =
  'must not contain control characters other than tab, line feed and carriage return (U+0000-U+001F, U+007F-U+009F), nor lone surrogates';

/** Deeper JSON than any request schema of the hub; the bound keeps every walk cheap and safe. */
export const jsonDepthMax = 32;

/** Problems reported for one input at most; one is enough to fix, a list is kinder. */
const problemsMax = 20;

/** C0 controls but tab, LF and CR; DEL; C1 controls. A regular expression: 3x a char loop. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is its job
const forbiddenChar = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/;

/** The index of the first forbidden control character, or -1. */
export function forbiddenCharAt(text: string): number {
  return text.search(forbiddenChar);
}

export function isAcceptableText(text: string): boolean {
  return !forbiddenChar.test(text) && text.isWellFormed();
}

/**
 * Every string and key of a parsed JSON value against the rule, and its depth against
 * jsonDepthMax. The walk stops descending at that depth, so a hostile nesting cannot exhaust
 * the stack (JSON.parse itself is iterative); field paths are dotted (`purchases.3.orderId`),
 * as validation errors name them, and spelled out only for the values that break the rule.
 */
export function jsonProblems(root: unknown): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const path: string[] = [];
  const report = (reason: string) => problems.push({ field: path.join('.') || '(body)', reason });
  const visit = (value: unknown): void => {
    if (problems.length >= problemsMax) return;
    if (typeof value === 'string') {
      if (!isAcceptableText(value)) report(textRule);
      return;
    }
    if (typeof value !== 'object' || value === null) return;
    if (path.length >= jsonDepthMax) {
      report(`nested deeper than ${jsonDepthMax}`);
      return;
    }
    const keys = Array.isArray(value) ? value.keys() : Object.keys(value);
    for (const key of keys) {
      const name = String(key);
      if (!isAcceptableText(name)) {
        report(`an object key ${textRule}`);
        continue;
      }
      path.push(name);
      visit((value as Record<string, unknown>)[name]);
      path.pop();
    }
  };
  visit(root);
  return problems;
}

/** Query or path parameters (`query.phone`, `param.kid`) against the rule. */
export function parameterProblems(
  target: 'query' | 'param',
  parameters: Record<string, string | string[] | undefined>,
): FieldProblem[] {
  const problems: FieldProblem[] = [];
  for (const [name, value] of Object.entries(parameters)) {
    if (!isAcceptableText(name)) {
      problems.push({ field: target, reason: `a parameter name ${textRule}` });
      continue;
    }
    const values = Array.isArray(value) ? value : [value ?? ''];
    if (!values.every(isAcceptableText))
      problems.push({ field: `${target}.${name}`, reason: textRule });
  }
  return problems.slice(0, problemsMax);
}
