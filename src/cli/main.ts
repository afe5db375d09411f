// The `cascade` command line. Each subcommand lives in its own file and returns its output and exit
// code, so tests can call it directly and the process wrapper stays this thin.

import { Command, CommanderError } from 'commander';
import { policyCheck } from './policy-check.js';
import { findCases, runCase } from './policy-test.js';
import { replayCommand } from './replay.js';
import { findingsCommand } from './findings.js';

export async function main(argv: string[]): Promise<number> {
  const program = new Command();
  program.name('cascade').description('cascade-runtime: policy checks, policy tests and trace replay').exitOverride();
  let exitCode = 0;
  const policy = program.command('policy').description('work with policy files');
  policy
    .command('check')
    .description('compile policy files and report every problem with its place')
    .argument('<paths...>', 'policy files, directories or globs (YAML or JSON)')
    .option('--json', 'print one JSON document for machines')
    .action((paths: string[], opts: { json?: boolean }) => {
      const out = policyCheck(paths, opts);
      process.stdout.write(out.stdout);
      process.stderr.write(out.stderr);
      exitCode = out.exitCode;
    });
  policy
    .command('test')
    .description('run policy test cases (folders with policy.yaml, events.jsonl, expected.jsonl)')
    .argument('<dirs...>', 'case folders or folders containing them')
    .option('--json', 'print one JSON document for machines')
    .action((dirs: string[], opts: { json?: boolean }) => {
      const cases = findCases(dirs);
      const results = cases.map(runCase);
      const failed = results.filter((r) => !r.ok);
      if (opts.json) process.stdout.write(JSON.stringify({ passed: results.length - failed.length, failed: failed.length, results }) + '\n');
      else {
        for (const r of results) {
          process.stdout.write(`${r.ok ? 'pass' : 'FAIL'}  ${r.name}\n`);
          for (const f of r.failures) process.stdout.write(`      ${f.replace(/\n/g, '\n      ')}\n`);
        }
        process.stdout.write(`${results.length - failed.length} passed, ${failed.length} failed\n`);
      }
      exitCode = cases.length === 0 ? 2 : failed.length > 0 ? 1 : 0;
    });
  program
    .command('replay')
    .description('evaluate a recorded JSONL trace offline: what would these policies and frameworks have done')
    .argument('<trace>', 'JSONL trace (one event per line)')
    .option('--policies <paths...>', 'policy files, directories or globs')
    .option('--frameworks <names>', 'comma-separated framework packs, or `recommended`')
    .option('--mode <mode>', 'detect or enforce', 'enforce')
    .option('--json', 'print one JSON document: { summary, decisions }')
    .action(async (trace: string, opts: { policies?: string[]; frameworks?: string; mode?: string; json?: boolean }) => {
      exitCode = await replayCommand(trace, opts, {
        out: (s) => process.stdout.write(s),
        err: (s) => process.stderr.write(s),
        isTTY: process.stderr.isTTY === true,
      });
    });
  program
    .command('findings')
    .description('list recorded runs, or the findings of one run, from the embedded SQLite store')
    .option('--db <path>', 'store path', '.cascade/cascade.db')
    .option('--run <id>', 'show the findings of this run')
    .option('--all', 'include audited allows')
    .option('--limit <n>', 'how many', '20')
    .option('--json', 'print JSON')
    .action((opts: { db?: string; run?: string; all?: boolean; limit?: string; json?: boolean }) => {
      exitCode = findingsCommand(opts, { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) });
    });
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    throw err;
  }
  process.exitCode = exitCode;
  return exitCode;
}
