import { expect, it } from 'vitest';
import { runReadmeExamples } from '../../../tools/testing/readme.js';

it('runs the README example', async () => {
  expect(await runReadmeExamples(new URL('..', import.meta.url))).toBeGreaterThan(0);
});
