import { expect, it } from 'vitest';
import { runReadmeExamples } from '../../../tools/testing/readme.js';

it('runs the README examples', async () => {
  expect(await runReadmeExamples(new URL('..', import.meta.url))).toBe(3);
});
