// npm run demo: a real agent run. The official `openai` client talks to cascade-runtime's local
// scripted model server (real HTTP and SSE on loopback; no key, no network), wrapped by
// wrapOpenAI, with the support agent's policies enforced. Four requests: an allowed refund, an
// over-limit refund, an order whose notes hold a live API key, and an inbox carrying an
// injected instruction to exfiltrate mail. Then: where the findings went and how to read them.

import { resolve } from 'node:path';
import OpenAI from 'openai';
import { initTracing, wrapOpenAI, type Finding } from '../src/index.js';
import { SqliteFindingStore } from '../src/findings/sqlite-store.js';
import { startScriptedModelServer } from '../src/testing/index.js';
import { runSupportAgent, supportTools } from './agents/support-agent.js';

const bold = (s: string): string => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
const dim = (s: string): string => (process.stdout.isTTY ? `\x1b[2m${s}\x1b[0m` : s);
const red = (s: string): string => (process.stdout.isTTY ? `\x1b[31m${s}\x1b[0m` : s);
const green = (s: string): string => (process.stdout.isTTY ? `\x1b[32m${s}\x1b[0m` : s);

const OUTCOME_LABEL: Record<string, (s: string) => string> = {
  blocked: (s) => red(`BLOCKED  ${s}`),
  halted: (s) => red(`HALTED   ${s}`),
  modified: (s) => green(`REDACTED ${s}`),
  would_block: (s) => `WOULD BLOCK ${s}`,
  flagged: (s) => `FLAGGED  ${s}`,
  error: (s) => red(`ERROR    ${s}`),
};

async function main(): Promise<void> {
  const server = await startScriptedModelServer();
  const storePath = resolve('.cascade', 'cascade.db');
  const interventions: Finding[] = [];
  const tracing = initTracing({
    project: 'demo-support',
    enforcementMode: 'enforce',
    policies: ['examples/agents/support-agent.yaml'],
    frameworks: ['recommended'],
    store: storePath,
    onFinding: (f) => {
      interventions.push(f);
      // record-only flags (e.g. an email address noticed by the pii pack) are stored, not printed
      if (f.outcome === 'flagged') return;
      const label = OUTCOME_LABEL[f.outcome] ?? ((s: string) => s);
      console.log(`    ${label(`${f.policy ?? f.eventKind}: ${f.message}`)}`);
    },
  });
  const client = wrapOpenAI(new OpenAI({ apiKey: 'not-needed', baseURL: server.openaiBaseURL, maxRetries: 0 }));
  const tools = supportTools((line) => console.log(dim(`    tool: ${line}`)));

  console.log(bold('cascade-runtime demo: a support agent on the real openai client, against a local scripted model'));
  console.log(`mode ${bold(tracing.mode)}, ${tracing.policyCount} policies from examples/agents/support-agent.yaml (bundle ${tracing.bundleHash.slice(0, 12)}) + the recommended security frameworks\n`);

  const scenarios = [
    { title: '1. an allowed refund', model: 'refund-agent', request: 'Please refund order A-1001 for 120' },
    { title: '2. a refund over the limit', model: 'refund-agent', request: 'Please refund order A-1002 for 900' },
    { title: '3. an order whose notes hold a live API key', model: 'refund-agent', request: 'What is the status of order A-1003?' },
    { title: '4. an inbox with an injected instruction to exfiltrate mail', model: 'email-agent', request: 'Summarize my inbox' },
  ];
  for (const s of scenarios) {
    console.log(bold(s.title));
    console.log(`    user:  ${s.request}`);
    const answer = await runSupportAgent({ client, model: s.model, request: s.request, tools, agentId: 'support-bot' });
    console.log(`    agent: ${answer}\n`);
  }

  await tracing.flush();
  await tracing.shutdown();
  await server.close();

  const store = SqliteFindingStore.open({ path: storePath, exitHooks: false });
  const runs = store.listRuns({ project: 'demo-support', limit: 4 }).items;
  const counts = store.countFindings({ project: 'demo-support' });
  store.close();
  const stopped = interventions.filter((f) => f.outcome === 'blocked' || f.outcome === 'halted').length;
  const rewritten = interventions.filter((f) => f.outcome === 'modified').length;
  console.log(bold('findings'));
  const flagged = interventions.filter((f) => f.outcome === 'flagged').length;
  console.log(`    this run: ${stopped} findings stopped an action, ${rewritten} rewrote content, ${flagged} flagged only; every decision (allows included) is audited`);
  console.log(`    stored in ${storePath} (SQLite: runs, spans, findings; ${counts.total} findings over all demo runs)`);
  console.log(`    latest runs: ${runs.map((r) => `${r.runId.slice(0, 8)} ${r.status} ${r.interventionCount} interventions`).join(', ')}`);
  console.log('    look at them:');
  const withIntervention = runs.find((r) => r.interventionCount > 0);
  console.log('      npx cascade findings                 # the latest runs');
  if (withIntervention) console.log(`      npx cascade findings --run ${withIntervention.runId}   # what was stopped and why`);
  console.log(`      npx cascade findings --run <id> --all --json   # every audited decision, allows included`);
  console.log('    or with an OTLP endpoint: initTracing({ endpoint, apiKey }) exports the same spans and guardrail findings');
}

main().catch((error: unknown) => {
  console.error(error);
  // the local model server may still hold the event loop open: leave now
  process.exit(1);
});
