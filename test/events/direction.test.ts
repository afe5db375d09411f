import { describe, expect, it } from 'vitest';
import { defaultDirection, EVENT_KINDS } from '../../src/events/types.js';

describe('defaultDirection', () => {
  it('treats tool results as untrusted tool output and run input as the user', () => {
    expect(defaultDirection('tool.result')).toBe('tool_output');
    expect(defaultDirection('run.start')).toBe('user_input');
    expect(defaultDirection('tool.call')).toBe('agent_outbound');
  });
  it('knows every kind', () => {
    for (const k of EVENT_KINDS) expect(typeof defaultDirection(k)).toBe('string');
  });
});
