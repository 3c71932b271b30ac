import type { Io } from '../output.ts';
import { migrateCommand } from './migrate.ts';
import { policiesCheckCommand } from './policies.ts';
import { policiesDocCommand } from './policies-doc.ts';
import { policiesCoverageCommand } from './policies-coverage.ts';
import { planCommand } from './plan.ts';
import { sweepCommand } from './sweep.ts';
import { workerCommand } from './worker.ts';
import { holdAddCommand, holdListCommand, holdReleaseCommand } from './hold.ts';
import { evidenceExportCommand, evidenceFindCommand, evidenceKeygenCommand, evidenceVerifyCommand, evidencePruneCommand } from './evidence.ts';
import { reportCommand } from './report.ts';
import { demoCommand } from './demo.ts';
import { serveCommand } from './serve.ts';
import { tokensCreateCommand, tokensListCommand, tokensRevokeCommand } from './tokens.ts';
import { eraseCommand, eraseListCommand, eraseShowCommand } from './erase.ts';
import { purgeApproveCommand, purgeListCommand, purgeRequestCommand } from './purge.ts';
import { partnersStatusCommand, partnersTerminateSyncCommand } from './partners.ts';
import { tasksApproveCommand, tasksConfirmCommand, tasksHandoverCommand, tasksListCommand, tasksShowCommand } from './tasks.ts';

export interface Command {
  /** `plan`, or a group and verb: `hold add`. */
  name: string;
  summary: string;
  help: string;
  run(args: string[], io: Io): Promise<number>;
}

export const COMMANDS: Command[] = [
  demoCommand,
  migrateCommand,
  policiesCheckCommand,
  policiesDocCommand,
  policiesCoverageCommand,
  planCommand,
  sweepCommand,
  workerCommand,
  serveCommand,
  holdAddCommand,
  holdReleaseCommand,
  holdListCommand,
  eraseCommand,
  eraseListCommand,
  eraseShowCommand,
  purgeRequestCommand,
  purgeApproveCommand,
  purgeListCommand,
  partnersStatusCommand,
  partnersTerminateSyncCommand,
  tasksListCommand,
  tasksShowCommand,
  tasksApproveCommand,
  tasksHandoverCommand,
  tasksConfirmCommand,
  evidenceVerifyCommand,
  evidenceExportCommand,
  evidenceFindCommand,
  evidencePruneCommand,
  evidenceKeygenCommand,
  reportCommand,
  tokensCreateCommand,
  tokensListCommand,
  tokensRevokeCommand,
];

export function helpText(): string {
  const w = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'lethe — retention enforcement with tamper-evident destruction evidence',
    '',
    'Usage: npx lethe <command> [flags]      (npx lethe <command> --help for details)',
    '',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(w)}  ${c.summary}`),
    '',
    'Environment: DATABASE_URL, REDIS_URL, LETHE_SECRET, LETHE_POLICIES, LETHE_OPERATOR, LOG_LEVEL',
    'Exit codes: 0 success, 1 the work failed, 2 bad usage or bad input.',
  ].join('\n');
}
