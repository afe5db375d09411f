// The `cascade` command line. Each subcommand lives in its own file and returns its output and exit
// code, so tests can call it directly and the process wrapper stays this thin.

import { Command, CommanderError } from 'commander';
import { policyCheck } from './policy-check.js';

export async function main(argv: string[]): Promise<number> {
  const program = new Command();
  program.name('cascade').description('cascade-runtime: policy checks, policy tests and trace replay').exitOverride();
  const policy = program.command('policy').description('work with policy files');
  let exitCode = 0;
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
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    throw err;
  }
  process.exitCode = exitCode;
  return exitCode;
}
