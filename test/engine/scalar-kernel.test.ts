// The scalar kernel build (no WebAssembly SIMD), used where a runtime rejects the SIMD build: the
// same long-text check against the reference evaluator as the SIMD build's differential test
// (long-text-agreement.ts), so both builds are held to the same answers.
import { describe, expect, it } from 'vitest';

// set before the engine loads its kernel module
process.env.CASCADE_KERNEL = 'scalar';
const { kernelBuild } = await import('../../src/engine/kernel-instance.js');
const { assertLongTextAgreement } = await import('./long-text-agreement.js');

describe('scalar kernel build', () => {
  it('is the build in use when CASCADE_KERNEL=scalar', () => {
    expect(kernelBuild()).toBe('scalar');
  });

  it('agrees with the reference on contains and patterns over long text', () => {
    assertLongTextAgreement(1_000);
  });
});
