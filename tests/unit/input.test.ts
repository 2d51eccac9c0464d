import { HTTPException } from 'hono/http-exception';
import { describe, expect, it } from 'vitest';
import { jsonDepthMax, jsonProblems, parameterProblems } from '../../gateway/input.ts';
import { asAppError } from '../../gateway/problem.ts';

describe('the rule for text in any input', () => {
  it('names the path of each string and key that holds a control character or a lone surrogate', () => {
    const body = {
      purchases: [{ orderId: 'ok' }, { orderId: 'a\u0000b' }, { 'k\u001b': 1, note: 'x\ud800' }],
      description: 'tabs\tand\nnew lines\r\nare fine',
    };
    expect(jsonProblems(body).map((p) => p.field)).toEqual([
      'purchases.1.orderId',
      'purchases.2',
      'purchases.2.note',
    ]);
  });

  it('accepts well-formed text in any script, emoji included', () => {
    expect(jsonProblems({ name: '茶与咖啡 ☕ 🍵', note: 'Ünïcödé' })).toEqual([]);
  });

  it(`refuses JSON nested deeper than ${jsonDepthMax} levels, whatever the depth, without recursing into it`, () => {
    const deep = JSON.parse(`${'['.repeat(100_000)}${']'.repeat(100_000)}`);
    const [problem] = jsonProblems(deep);
    expect(problem?.reason).toBe(`nested deeper than ${jsonDepthMax}`);
    expect(
      jsonProblems(JSON.parse(`${'['.repeat(jsonDepthMax)}${']'.repeat(jsonDepthMax)}`)),
    ).toEqual([]);
  });

  it('names query and path parameters as query.<name> and param.<name>', () => {
    expect(parameterProblems('query', { phone: '138\u0000', limit: '5' })).toEqual([
      { field: 'query.phone', reason: expect.any(String) },
    ]);
    expect(parameterProblems('param', { kid: ['a', 'b\u0085'] }).map((p) => p.field)).toEqual([
      'param.kid',
    ]);
  });
});

describe('the framework’s own client errors', () => {
  it('become the problem their status means, never internal', () => {
    const cases: Array<[number, string]> = [
      [400, 'validation_failed'],
      [401, 'unauthenticated'],
      [413, 'payload_too_large'],
      [415, 'unsupported_media_type'],
      [418, 'validation_failed'],
    ];
    for (const [status, type] of cases) {
      const error = new HTTPException(status as 400, { message: 'from the framework' });
      expect(asAppError(error, undefined).type, String(status)).toBe(type);
    }
    expect(asAppError(new HTTPException(503), undefined).type).toBe('internal');
  });
});
