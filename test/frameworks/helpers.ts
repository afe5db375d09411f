// Small builders shared by the framework tests.

import type { Direction, EventKind, StreamEvent } from '../../src/events/types.js';
import type { FrameworkFinding, TextInput } from '../../src/frameworks/types.js';

export function input(text: string, field = 'args.value', direction: Direction = 'agent_outbound', kind: EventKind = 'tool.call', tool?: string): TextInput {
  const t: TextInput = { text, field, direction, kind };
  if (tool !== undefined) t.tool = tool;
  return t;
}

export function scan(pack: { scanText(i: TextInput, out: FrameworkFinding[]): void }, text: string, field = 'args.value', direction: Direction = 'agent_outbound', tool?: string): FrameworkFinding[] {
  const out: FrameworkFinding[] = [];
  pack.scanText(input(text, field, direction, 'tool.call', tool), out);
  return out;
}

export function call(tool: string, args: Record<string, unknown>, runId = 'r'): StreamEvent {
  return { kind: 'tool.call', runId, tool, args: args as never, callId: `c-${tool}` };
}

export function result(tool: string, value: unknown, runId = 'r'): StreamEvent {
  return { kind: 'tool.result', runId, tool, callId: `c-${tool}`, result: value as never };
}

/** Deterministic pseudo-random alphanumerics (so no real-looking secret sits in the repository). */
export function pseudoRandom(seed: number, length: number, alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'): string {
  let x = seed >>> 0 || 1;
  let out = '';
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out += alphabet[x % alphabet.length];
  }
  return out;
}

export const rules = (fs: readonly FrameworkFinding[]): string[] => fs.map((f) => f.rule);
