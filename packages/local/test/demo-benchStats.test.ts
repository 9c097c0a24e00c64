import { test } from 'node:test';
import assert from 'node:assert/strict';
import { duration, markdownTable, median, quantile, range, seconds } from '../bench/stats.js';

test('median of odd and even counts; NaN when empty', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.ok(Number.isNaN(median([])));
  assert.deepEqual(range([3, 1, 2]), { min: 1, max: 3 });
});

test('quantiles interpolate between ranks and agree with the median', () => {
  const values = [5, 1, 4, 2, 3];
  assert.equal(quantile(values, 0.25), 2);
  assert.equal(quantile(values, 0.5), median(values));
  assert.equal(quantile([1, 2], 0.75), 1.75);
  assert.ok(Number.isNaN(quantile([], 0.5)));
});

test('formatting for the bench table', () => {
  assert.equal(markdownTable(['a', 'b'], [['x', '1']]), '| a | b |\n| --- | ---: |\n| x | 1 |');
  assert.equal(seconds(1234), '1.2 s');
  assert.equal(seconds(Number.NaN), '–');
  assert.equal(duration(48_000), '48 s');
  assert.equal(duration(725_000), '12 min 5 s');
  assert.equal(duration(5_000_000), '1 h 23 min');
});
