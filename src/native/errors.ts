// NativeModuleError: a native part (the isolated-vm sandbox, the better-sqlite3 store) cannot be
// used on the running Node.js. Thrown at first use, with a message that names the Node version and
// says what to do, instead of a dlopen failure or a native abort.

export const NATIVE_MODULE_ERROR_CODES = [
  /** this Node.js version is older than the oldest supported line */
  'unsupported_node',
  /** no build of the native package is chosen for this Node.js line */
  'no_build_for_node',
  /** the package chosen for this Node.js is not in node_modules (installed under another Node, or optional deps omitted) */
  'not_installed',
  /** the package is there but its binary was built for another Node.js (NODE_MODULE_VERSION mismatch) */
  'built_for_other_node',
  /** the package is there but could not be loaded for another reason */
  'load_failed',
] as const;

export type NativeModuleErrorCode = (typeof NATIVE_MODULE_ERROR_CODES)[number];

const MARKER = Symbol.for('cascade-runtime.error.NativeModuleError');

export interface NativeModuleErrorOptions {
  /** the npm package (or alias) that was to be loaded */
  packageName?: string | undefined;
  cause?: unknown;
}

export class NativeModuleError extends Error {
  override readonly name = 'NativeModuleError';
  readonly code: NativeModuleErrorCode;
  /** `process.version` of the process that failed, e.g. `v24.21.0` */
  readonly nodeVersion: string;
  readonly packageName: string | undefined;
  private readonly [MARKER] = true;

  constructor(code: NativeModuleErrorCode, message: string, nodeVersion: string, options: NativeModuleErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.nodeVersion = nodeVersion;
    this.packageName = options.packageName;
  }

  /** True for NativeModuleErrors from any copy of this package (works across realms and bundles). */
  static isInstance(value: unknown): value is NativeModuleError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[MARKER] === true;
  }
}
