import { type FieldProblem, isAcceptableText, textRule } from '../platform/index.ts';

// The text rule itself is platform's (isAcceptableText): the domains check what they store by it.

/** Deeper JSON than any request schema of the hub; the bound keeps every walk cheap and safe. */
export const jsonDepthMax = 32;

/** Problems reported for one input at most; one is enough to fix, a list is kinder. */
const problemsMax = 20;

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
