import { describe, expect, it } from 'vitest';
import { settledWithin } from '../../src/settled-within.js';

const after = <T>(ms: number, value: T) => new Promise<T>((resolve) => setTimeout(resolve, ms, value));

describe('settledWithin', () => {
  it('gives the value of a promise that fulfils in time, even a falsy one', async () => {
    expect(await settledWithin(after(1, 'report'), 200)).toEqual({ value: 'report' });
    expect(await settledWithin(Promise.resolve(false), 200)).toEqual({ value: false });
  });

  it('gives undefined for a promise that is too slow or fails, and when no wait is allowed', async () => {
    expect(await settledWithin(after(300, 'late'), 20)).toBeUndefined();
    expect(await settledWithin(Promise.reject(new Error('redis down')), 200)).toBeUndefined();
    expect(await settledWithin(Promise.resolve('ready'), 0)).toBeUndefined();
  });

  it('leaves no timer behind once answered', async () => {
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timers();
    await settledWithin(Promise.resolve(1), 60_000);
    expect(timers()).toBe(before);
  });
});
