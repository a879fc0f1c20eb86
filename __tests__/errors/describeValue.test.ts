import * as tf from '@tensorflow/tfjs';
import { describeValue } from '../../src/errors';

class Adam {}

describe('describeValue: what every error says it got', () => {
  const disposed = tf.zeros([2]);
  disposed.dispose();
  const variable = tf.variable(tf.zeros([3]));
  const live = tf.zeros([2, 3]);
  afterAll(() => tf.dispose([variable, live]));

  test.each<[string, () => unknown, string]>([
    ['undefined', () => undefined, 'undefined'],
    ['null', () => null, 'null'],
    ['a number, as its literal', () => 12.5, '12.5'],
    ['NaN', () => NaN, 'NaN'],
    ['a string, quoted', () => 'tanh', "'tanh'"],
    ['a long string, cut', () => 'x'.repeat(100), `'${'x'.repeat(39)}…'`],
    ['a boolean', () => true, 'true'],
    ['a bigint', () => 3n, '3n'],
    ['a symbol', () => Symbol('s'), 'Symbol(s)'],
    ['a named function', () => function step() {}, 'function step'],
    ['an array, by its length', () => [1, 2], 'Array(2)'],
    ['a typed array, by its class and length', () => new Float32Array(6), 'Float32Array(6)'],
    ['an Int32Array', () => new Int32Array(2), 'Int32Array(2)'],
    ['a Map', () => new Map([[1, 2]]), 'Map(1)'],
    ['a plain object, by its keys', () => ({ shape: [4], data: [] }), 'Object {shape, data}'],
    ['a plain object with many keys', () => ({ a: 1, b: 2, c: 3, d: 4, e: 5 }), 'Object {a, b, c, d, …}'],
    ['an empty object', () => ({}), 'Object {}'],
    ['an object without a prototype', () => Object.create(null), 'Object {}'],
    ['a class instance, by its class', () => new Adam(), 'Adam'],
    ['a live tensor, by dtype and shape', () => live, 'tf.Tensor float32 [2, 3]'],
    ['a scalar', () => tf.tidy(() => tf.keep(tf.scalar(1, 'int32'))), 'tf.Tensor int32 []'],
    ['a variable', () => variable, 'tf.Variable float32 [3]'],
    ['a disposed tensor', () => disposed, 'a disposed tf.Tensor'],
  ])('%s', (_, make, expected) => {
    const value = make();
    expect(describeValue(value)).toBe(expected);
    if (value instanceof tf.Tensor && value !== live && value !== variable) value.dispose();
  });
});
