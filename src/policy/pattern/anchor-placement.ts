// Validation of where `^` and `$` may stand. Both always refer to the whole text (there is no
// multiline mode), so `^` anywhere but a start position, or `$` anywhere but an end position,
// can never match and is almost certainly a mistake; those are rejected rather than compiled to
// a pattern that silently matches nothing.

import type { PatternNode } from './ast.js';
import { patternDiagnostic, type PatternDiagnostic } from './diagnostics.js';

export function checkAnchorPlacement(root: PatternNode): PatternDiagnostic | undefined {
  return visit(root, true, true);
}

function visit(node: PatternNode, atStart: boolean, atEnd: boolean): PatternDiagnostic | undefined {
  switch (node.kind) {
    case 'assertion':
      if (node.assertion === 'start' && !atStart) {
        return patternDiagnostic(
          'misplaced-anchor',
          '`^` can only stand at the start of the pattern or of a top-level alternative',
          node.offset,
          node.length,
          '`^` always means the start of the whole text; remove it, or escape it as `\\^` to match a caret',
        );
      }
      if (node.assertion === 'end' && !atEnd) {
        return patternDiagnostic(
          'misplaced-anchor',
          '`$` can only stand at the end of the pattern or of a top-level alternative',
          node.offset,
          node.length,
          '`$` always means the end of the whole text; remove it, or escape it as `\\$` to match a dollar sign',
        );
      }
      return undefined;
    case 'sequence': {
      const items = node.items;
      // Leading (trailing) zero-width assertions do not move the position, so `\b^a` still
      // has its `^` at the start.
      let firstConsuming = items.findIndex((item) => item.kind !== 'assertion');
      if (firstConsuming < 0) firstConsuming = items.length;
      let lastConsuming = items.length - 1;
      while (lastConsuming >= 0 && items[lastConsuming]!.kind === 'assertion') lastConsuming--;
      for (let i = 0; i < items.length; i++) {
        const problem = visit(items[i]!, atStart && i <= firstConsuming, atEnd && i >= lastConsuming);
        if (problem !== undefined) return problem;
      }
      return undefined;
    }
    case 'alternation':
      for (const alternative of node.alternatives) {
        const problem = visit(alternative, atStart, atEnd);
        if (problem !== undefined) return problem;
      }
      return undefined;
    case 'group':
      return visit(node.body, atStart, atEnd);
    case 'repeat':
      // A second iteration starts after the first, so only a single pass keeps its position.
      return node.max <= 1 ? visit(node.body, atStart, atEnd) : visit(node.body, false, false);
    case 'empty':
    case 'chars':
      return undefined;
  }
}

/** Whether every match must start at offset 0 (each way through the pattern begins with `^`). */
export function isAnchoredAtStart(node: PatternNode): boolean {
  switch (node.kind) {
    case 'assertion':
      return node.assertion === 'start';
    case 'sequence':
      for (const item of node.items) {
        if (isAnchoredAtStart(item)) return true;
        if (item.kind !== 'assertion') return false;
      }
      return false;
    case 'alternation':
      return node.alternatives.every(isAnchoredAtStart);
    case 'group':
      return isAnchoredAtStart(node.body);
    case 'repeat':
      return node.min >= 1 && isAnchoredAtStart(node.body);
    case 'empty':
    case 'chars':
      return false;
  }
}
