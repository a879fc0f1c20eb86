import * as tf from '@tensorflow/tfjs';
import { BackendError, getBackendName, initBackend } from '../../src';

// Its own file: no other test may have initialised a backend in this module registry.
describe('getBackendName before a backend is initialised', () => {
  test('is a BackendError saying to await initBackend() (tf.getBackend() gives undefined there)', async () => {
    expect(tf.getBackend()).toBeFalsy();
    expect(() => getBackendName()).toThrow(BackendError);
    expect(() => getBackendName()).toThrow(/^backend: expected an initialised backend \(await initBackend\(\) first\), got none initialised yet$/);
    expect(await initBackend('cpu')).toBe('cpu');
    expect(getBackendName()).toBe('cpu');
  });
});
