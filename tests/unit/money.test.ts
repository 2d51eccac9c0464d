import { describe, expect, it } from 'vitest';
import {
  MoneyError,
  multiplyFloor,
  multiplyHalfEven,
  parseRatio,
  sumAmounts,
} from '../../platform/index.ts';

describe('money', () => {
  it('parses decimal rates exactly', () => {
    expect(parseRatio('0.02')).toEqual({ numerator: 2, denominator: 100 });
    expect(parseRatio('1.5')).toEqual({ numerator: 15, denominator: 10 });
    expect(parseRatio('3')).toEqual({ numerator: 3, denominator: 1 });
    expect(() => parseRatio('-1')).toThrow(MoneyError);
    expect(() => parseRatio('1e3')).toThrow(MoneyError);
  });

  it('rounds accruals down, never awarding a fraction of a point', () => {
    expect(multiplyFloor(1999, { numerator: 1, denominator: 100 })).toBe(19);
    expect(multiplyFloor(-1999, { numerator: 1, denominator: 100 })).toBe(-20);
    expect(multiplyFloor(100, { numerator: 3, denominator: 2 })).toBe(150);
  });

  it('rounds fees half to even', () => {
    const twoPercent = parseRatio('0.02');
    expect(multiplyHalfEven(25, twoPercent)).toBe(0); // 0.5 -> 0 (even)
    expect(multiplyHalfEven(75, twoPercent)).toBe(2); // 1.5 -> 2 (even)
    expect(multiplyHalfEven(125, twoPercent)).toBe(2); // 2.5 -> 2
    expect(multiplyHalfEven(126, twoPercent)).toBe(3); // 2.52 -> 3
    expect(multiplyHalfEven(-75, twoPercent)).toBe(-2);
  });

  it('refuses amounts that are not exact integers', () => {
    expect(() => multiplyFloor(1.5, { numerator: 1, denominator: 1 })).toThrow(MoneyError);
    expect(() => sumAmounts([Number.MAX_SAFE_INTEGER, 1])).toThrow(MoneyError);
    expect(sumAmounts([1, 2, 3])).toBe(6);
  });
});
