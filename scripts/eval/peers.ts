// Peer detectors a user would otherwise pick from npm, wrapped to answer the same questions on
// the same items: "is there a secret", "which PII spans", "is this injected text". All of them
// are asynchronous; latency is measured per item around the awaited call.

import { lintSource } from '@secretlint/core';
import { creator as secretlintPreset } from '@secretlint/secretlint-rule-preset-recommend';
import { redact } from '@arcjet/redact';
import { createVard } from '@andersmyrmel/vard';
import { checkInjection } from 'llm_guardrail';
import { pii as openaiPii, secretKeysCheck } from '@openai/guardrails';

export interface PeerSpan {
  entity: string;
  start: number;
  end: number;
}

export interface Peer<T> {
  name: string;
  run: (text: string) => Promise<T>;
}

// ------------------------------------------------------------------ secrets

export const SECRET_PEERS: readonly Peer<boolean>[] = [
  {
    name: 'secretlint (preset-recommend)',
    run: async (text) => {
      const r = await lintSource({
        source: { content: text, filePath: '/input.txt', contentType: 'text' },
        options: { config: { rules: [{ id: '@secretlint/secretlint-rule-preset-recommend', rule: secretlintPreset }] }, noPhysicFilePath: true },
      });
      return r.messages.length > 0;
    },
  },
  {
    name: '@openai/guardrails secret keys (balanced)',
    run: async (text) => {
      const r = await secretKeysCheck({}, text, { threshold: 'balanced' });
      return r.tripwireTriggered;
    },
  },
];

// ------------------------------------------------------------------ PII

const OPENAI_PII_ENTITIES = ['CREDIT_CARD', 'EMAIL_ADDRESS', 'US_SSN', 'PHONE_NUMBER', 'IBAN_CODE', 'IP_ADDRESS'];
const OPENAI_MAP: Readonly<Record<string, string>> = {
  CREDIT_CARD: 'credit-card',
  EMAIL_ADDRESS: 'email',
  US_SSN: 'us-ssn',
  PHONE_NUMBER: 'phone',
  IBAN_CODE: 'iban',
  IP_ADDRESS: 'ip-address',
};
const ARCJET_MAP: Readonly<Record<string, string>> = {
  email: 'email',
  'phone-number': 'phone',
  'credit-card-number': 'credit-card',
  'ip-address': 'ip-address',
};

/** Positions of each detected value (peers report values, not offsets): every occurrence counts. */
function spansOf(text: string, entity: string, value: string, out: PeerSpan[]): void {
  if (value === '') return;
  let from = 0;
  for (;;) {
    const i = text.indexOf(value, from);
    if (i < 0) return;
    out.push({ entity, start: i, end: i + value.length });
    from = i + value.length;
  }
}

export const PII_PEERS: readonly Peer<PeerSpan[]>[] = [
  {
    name: '@openai/guardrails PII',
    run: async (text) => {
      const out: PeerSpan[] = [];
      if (text.trim() === '') return out;
      const r = await openaiPii({}, text, { entities: OPENAI_PII_ENTITIES as never, block: true, detect_encoded_pii: false } as never);
      const found = (r.info as { detected_entities?: Record<string, string[]> }).detected_entities ?? {};
      for (const [k, values] of Object.entries(found)) for (const v of values) spansOf(text, OPENAI_MAP[k] ?? k, v, out);
      return out;
    },
  },
  {
    name: '@arcjet/redact',
    run: async (text) => {
      const out: PeerSpan[] = [];
      await redact(text, {
        replace: (entity, plaintext) => {
          spansOf(text, ARCJET_MAP[entity] ?? entity, plaintext, out);
          return undefined;
        },
      });
      return out;
    },
  },
];

// ------------------------------------------------------------------ injection

const vard = createVard();

export const INJECTION_PEERS: readonly Peer<boolean>[] = [
  {
    name: '@andersmyrmel/vard',
    run: async (text) => !vard.safeParse(text).safe,
  },
  {
    name: 'llm_guardrail (checkInjection)',
    run: async (text) => {
      const r = (await checkInjection(text)) as { detected?: boolean; allowed?: boolean };
      return r.detected === true || r.allowed === false;
    },
  },
];

export interface PeerTiming {
  p50: number;
  mean: number;
}

/** Run a peer over items, collecting results and per-item latency (ns). Errors count as "no finding". */
export async function runPeer<T>(peer: Peer<T>, items: readonly string[], fallback: T): Promise<{ results: T[]; timing: PeerTiming; errors: number }> {
  const results: T[] = [];
  const times: number[] = [];
  let errors = 0;
  for (const text of items) {
    const t0 = process.hrtime.bigint();
    try {
      results.push(await peer.run(text));
    } catch {
      errors++;
      results.push(fallback);
    }
    times.push(Number(process.hrtime.bigint() - t0));
  }
  const sorted = [...times].sort((a, b) => a - b);
  return { results, timing: { p50: sorted[Math.floor(sorted.length / 2)] ?? 0, mean: times.reduce((a, b) => a + b, 0) / Math.max(1, times.length) }, errors };
}
