// cascade verdict kernel: ABI exports only (filled in by the engine work).
export function rt_abi_version(): i32 {
  return 1;
}
