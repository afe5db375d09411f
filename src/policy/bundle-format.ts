// The kernel's program image: constants shared by the emitter (TS) and mirrored in assembly/abi.ts.
// Changing any number here is an ABI change: bump KERNEL_ABI_VERSION and IMAGE_FORMAT together.

export const KERNEL_ABI_VERSION = 1;
export const IMAGE_MAGIC = 0x43534344; // "CSCD"
export const IMAGE_FORMAT = 1;

/** header word indexes (i32) */
export const H = {
  magic: 0,
  format: 1,
  nPolicies: 2,
  nSlots: 3,
  nTools: 4,
  bucketsOff: 5,
  policiesOff: 6,
  codeOff: 7,
  codeWords: 8,
  numsOff: 9,
  nNums: 10,
  strsOff: 11,
  nStrs: 12,
  setsOff: 13,
  nSets: 14,
  dfasOff: 15,
  nDfas: 16,
  stateWords: 17,
  imageBytes: 18,
  nBuckets: 19,
  words: 24,
} as const;

export const POLICY_RECORD_WORDS = 8;
/** policy record word indexes */
export const PR = { kind: 0, when: 1, where: 2, stateOff: 3, maxNum: 4, param: 5, param2: 6 } as const;

export const PK = {
  stateless: 0,
  count: 1,
  countWindow: 2,
  sum: 3,
  after: 4,
  repeat: 5,
} as const;

export const OP = { all: 1, any: 2, not: 3, true: 4, false: 5, test: 6 } as const;

export const T = {
  eqNum: 1,
  eqStr: 2,
  eqBool: 3,
  eqNull: 4,
  in: 5,
  gt: 6,
  gte: 7,
  lt: 8,
  lte: 9,
  exists: 10,
  prefix: 11,
  suffix: 12,
  contains: 13,
  pattern: 14,
  lenEq: 15,
  lenNe: 16,
  lenGt: 17,
  lenGte: 18,
  lenLt: 19,
  lenLte: 20,
} as const;

/** projected value type tags */
export const V = { null: 1, bool: 2, num: 3, str: 4, array: 5, object: 6 } as const;
export const VALUE_BYTES = 24;
export const SET_RECORD_WORDS = 8;
export const DFA_RECORD_WORDS = 12;
/** repeat policies remember this many distinct calls per run */
export const REPEAT_TABLE = 16;

/** kernel status codes (negative returns of rt_eval / rt_load) */
export const STATUS = {
  ok: 0,
  badMagic: -1,
  badFormat: -2,
  badImage: -3,
  noMemory: -4,
  badBucket: -5,
  badRun: -6,
  notLoaded: -7,
  tooManyPending: -8,
} as const;
