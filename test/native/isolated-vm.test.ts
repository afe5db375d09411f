// The isolated-vm loader: which build each Node line gets, what a user sees when none loads, and
// that the hand-written API slice in src/native/isolated-vm.ts matches the build that loads here.

import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import ivm, {
  chooseIsolatedVmBuild,
  ISOLATED_VM_BUILDS,
  loadedIsolatedVmPackage,
  loadIsolatedVm,
  loadIsolatedVmFor,
} from '../../src/native/isolated-vm.js';
import { SUPPORTED_NODE_LINES } from '../../src/native/node-support.js';
import { abiMismatch, emptyRequire, errorOf, fakeEnv, readJson } from './helpers.js';

describe('isolated-vm builds', () => {
  it('every supported Node line has exactly one build', () => {
    for (const line of SUPPORTED_NODE_LINES) {
      expect(ISOLATED_VM_BUILDS.filter((b) => b.nodeMajors.includes(line.major)), `Node ${line.major}`).toHaveLength(1);
    }
  });

  it('each build is an optional npm alias of isolated-vm in package.json, and isolated-vm itself is not a dependency', () => {
    const pkg = readJson('package.json') as Record<string, Record<string, string> | undefined>;
    for (const b of ISOLATED_VM_BUILDS) {
      expect(pkg['optionalDependencies']?.[b.packageName]).toBe(`npm:isolated-vm@${b.isolatedVm}`);
      expect(pkg['dependencies']?.[b.packageName]).toBeUndefined();
    }
    // a plain `isolated-vm` dependency would be built on every Node and fail the install on some
    expect(pkg['dependencies']?.['isolated-vm']).toBeUndefined();
    expect(pkg['optionalDependencies']?.['isolated-vm']).toBeUndefined();
  });

  it("the locked version of each alias declares engines that admit every Node major it serves (npm skips it elsewhere)", () => {
    const lock = readJson('package-lock.json') as {
      packages: Record<string, { name?: string; version?: string; optional?: boolean; engines?: { node?: string } }>;
    };
    for (const b of ISOLATED_VM_BUILDS) {
      const entry = lock.packages[`node_modules/${b.packageName}`];
      expect(entry, b.packageName).toBeDefined();
      expect(entry?.name).toBe('isolated-vm');
      expect(entry?.optional).toBe(true);
      const range = /^>=\s*(\d+)\.\d+\.\d+$/.exec(entry?.engines?.node ?? '');
      expect(range, `${b.packageName} engines ${entry?.engines?.node}: teach this test the new form`).not.toBeNull();
      for (const major of b.nodeMajors) expect(major).toBeGreaterThanOrEqual(Number(range![1]));
    }
  });

  it('chooses 5.x on Node 20 and 6.x on Node 22 and 24', () => {
    expect(chooseIsolatedVmBuild('v20.19.0').packageName).toBe('isolated-vm-v5');
    expect(chooseIsolatedVmBuild('v22.12.0').packageName).toBe('isolated-vm-v6');
    expect(chooseIsolatedVmBuild('v24.21.0').packageName).toBe('isolated-vm-v6');
  });

  it('has no build for lines it does not support, and says which it does', () => {
    for (const v of ['v21.7.3', 'v23.11.0', 'v25.2.1', 'v26.0.0']) {
      const err = errorOf(() => chooseIsolatedVmBuild(v));
      expect(err.code).toBe('no_build_for_node');
      expect(err.nodeVersion).toBe(v);
      expect(err.message).toContain(`Node.js ${v}`);
      expect(err.message).toContain('Node.js 20.19+, 22.12+ or 24');
    }
  });
});

describe('loading isolated-vm, when it cannot be loaded', () => {
  it('refuses Node 18 before touching node_modules', () => {
    let required = false;
    const err = errorOf(() =>
      loadIsolatedVmFor(
        fakeEnv('v18.20.8', () => {
          required = true;
          return {};
        }, '108'),
      ),
    );
    expect(required).toBe(false);
    expect(err.code).toBe('unsupported_node');
    expect(err.message).toMatch(/^cascade-runtime needs Node.js 20.19\+, 22.12\+ or 24 and this is Node.js v18.20.8: the sandbox/);
  });

  it('names the missing alias, the Node version and the command when the build is not installed', () => {
    const err = errorOf(() => loadIsolatedVmFor(fakeEnv('v24.21.0', emptyRequire())));
    expect(err.code).toBe('not_installed');
    expect(err.packageName).toBe('isolated-vm-v6');
    expect(err.message).toContain('`isolated-vm-v6`');
    expect(err.message).toContain('Node.js v24.21.0');
    expect(err.message).toContain('`npm ci`');
    expect((err.cause as { code?: string }).code).toBe('MODULE_NOT_FOUND');
  });

  it('reports a binary built for another Node.js with both ABI numbers', () => {
    const err = errorOf(() =>
      loadIsolatedVmFor(
        fakeEnv('v20.20.2', () => {
          throw abiMismatch('/app/node_modules/isolated-vm-v5/out/isolated_vm.node', 137, 115);
        }, '115'),
      ),
    );
    expect(err.code).toBe('built_for_other_node');
    expect(err.message).toContain('NODE_MODULE_VERSION 137');
    expect(err.message).toContain('Node.js v20.20.2 (NODE_MODULE_VERSION 115)');
  });

  it('keeps any other failure as load_failed with the original message and cause', () => {
    const boom = new Error('libc.so.6: version `GLIBC_2.38` not found');
    const err = errorOf(() => loadIsolatedVmFor(fakeEnv('v22.23.3', () => { throw boom; }, '127')));
    expect(err.code).toBe('load_failed');
    expect(err.message).toContain('GLIBC_2.38');
    expect(err.cause).toBe(boom);
  });

  it('does not confuse a missing dependency of the build with a missing build', () => {
    const inner = Object.assign(new Error("Cannot find module 'node-gyp-build'"), { code: 'MODULE_NOT_FOUND' });
    const err = errorOf(() => loadIsolatedVmFor(fakeEnv('v24.21.0', () => { throw inner; })));
    expect(err.code).toBe('load_failed');
  });
});

describe('isolated-vm on this Node.js', () => {
  it('loads the build chosen for this version, and only that one', () => {
    loadIsolatedVm();
    const chosen = chooseIsolatedVmBuild(process.version).packageName;
    expect(loadedIsolatedVmPackage()).toBe(chosen);
    const require = createRequire(import.meta.url);
    const loadedFiles = Object.keys(require.cache).filter((f) => /[\\/]node_modules[\\/]isolated-vm(-v\d+)?[\\/]/.test(f));
    expect(loadedFiles.length).toBeGreaterThan(0);
    for (const f of loadedFiles) expect(f, 'two isolated-vm builds in one process abort it').toContain(`${chosen}`);
  });

  it('matches the API slice the sandbox is typed against', async () => {
    let catastrophic: string | undefined;
    const isolate = new ivm.Isolate({ memoryLimit: 8, onCatastrophicError: (m) => (catastrophic = m) });
    try {
      expect(isolate.isDisposed).toBe(false);
      expect(typeof isolate.cpuTime).toBe('bigint');
      expect(typeof isolate.wallTime).toBe('bigint');
      const context = isolate.createContextSync();

      expect(context.evalClosureSync('return $0 + $1', [1, 2], { timeout: 100 })).toBe(3);
      const api = context.evalClosureSync('return { double: (x) => x * 2, read: (o) => o.a.b }', [], {
        result: { reference: true },
      }) as ivm.Reference;
      expect(api.typeof).toBe('object');
      const double = api.getSync('double', { reference: true }) as ivm.Reference;
      expect(double.applySync(undefined, [21], { timeout: 100 })).toBe(42);
      await expect(double.apply(undefined, [2], { timeout: 100 })).resolves.toBe(4);

      const copy = new ivm.ExternalCopy({ a: { b: 'deep' } });
      expect(copy.copy()).toEqual({ a: { b: 'deep' } });
      const read = api.getSync('read', { reference: true }) as ivm.Reference;
      expect(read.applySync(undefined, [copy.copyInto()])).toBe('deep');
      copy.release();

      // a host function the isolate calls synchronously during applySync (the on-demand fetch)
      const seen: unknown[] = [];
      const callback = new ivm.Callback((...args: never[]) => {
        seen.push(...(args as unknown[]));
        return `host:${String(args[0])}`;
      });
      const viaHost = context.evalClosureSync('const f = $0; return (x) => f(x, 2) + "!"', [callback], { result: { reference: true } }) as ivm.Reference;
      expect(viaHost.applySync(undefined, [1], { timeout: 100 })).toBe('host:1!');
      expect(seen).toEqual([1, 2]);
      viaHost.release();

      const withImport = isolate.compileModuleSync('import "fs"; export const x = 1;', { filename: 'file:///t/a.js' });
      expect(withImport.dependencySpecifiers).toEqual(['fs']);
      withImport.release();

      const mod = isolate.compileModuleSync('export const answer = 6 * 7;', { filename: 'file:///t/b.js' });
      mod.instantiateSync(context, () => {
        throw new Error('no imports');
      });
      mod.evaluateSync({ timeout: 100 });
      const ns = mod.namespace;
      expect(ns.getSync('answer')).toBe(42);
      const keys = context.evalClosureSync('return Object.keys($0).join()', [ns.derefInto()]);
      expect(keys).toBe('answer');
      ns.release();
      mod.release();

      const later = isolate.compileModuleSync('export default 1;', { filename: 'file:///t/c.js' });
      later.instantiateSync(context, () => later);
      await later.evaluate({ timeout: 100 });
      later.release();

      const heap = isolate.getHeapStatisticsSync();
      for (const k of ['total_heap_size', 'used_heap_size', 'heap_size_limit', 'externally_allocated_size'] as const) {
        expect(typeof heap[k], k).toBe('number');
      }
      for (const r of [read, double, api]) r.release();
      context.release();
    } finally {
      isolate.dispose();
    }
    expect(isolate.isDisposed).toBe(true);
    expect(catastrophic).toBeUndefined();
  });
});
