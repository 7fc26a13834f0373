#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { createClient, type TrainyardClient } from '../client/index.js';
import { jobCommands, type Context } from './trainyard/jobs.js';
import { EXIT, describeError, type Io } from './trainyard/output.js';
import { resourceCommands } from './trainyard/resources.js';

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

/**
 * `trainyard`, the command-line client: parses `argv`, runs one command against the API and
 * answers its exit code (0 done, 1 the job failed or was cancelled, 2 bad usage, 3 no service
 * or the key refused). Errors print the API's message and code, never a stack trace.
 */
export async function run(argv: string[], env: NodeJS.ProcessEnv = process.env, io?: Partial<Io>): Promise<number> {
  const out = io?.out ?? process.stdout;
  const err = io?.err ?? process.stderr;
  let code: number = EXIT.ok;
  const program = new Command('trainyard')
    .description('Train and use Trainyard models from the terminal')
    .version(version, '-V, --version')
    .option('--url <url>', 'the service (env TRAINYARD_URL)', env.TRAINYARD_URL ?? 'http://localhost:3000')
    .option('--api-key <key>', 'an API key (env TRAINYARD_API_KEY; never shown)')
    .option('--json', "print the API's JSON, for scripts")
    .showHelpAfterError('(add --help for usage)')
    .configureOutput({ writeOut: (s) => out.write(s), writeErr: (s) => err.write(s) })
    .exitOverride();
  let client: TrainyardClient | undefined;
  const ctx: Context = {
    client: () => {
      const { url, apiKey } = program.opts<{ url: string; apiKey?: string }>();
      if (!/^https?:\/\/[^\s/]+/.test(url))
        throw new CommanderError(EXIT.usage, 'usage', `--url must be an http(s) address, not "${url}"`);
      return (client ??= createClient({ baseUrl: url, apiKey: apiKey ?? env.TRAINYARD_API_KEY }));
    },
    io: () => ({ out, err, json: !!program.opts<{ json?: boolean }>().json }),
    exit: (c) => {
      code = c;
    },
  };
  jobCommands(program, ctx);
  resourceCommands(program, ctx);
  for (const command of program.commands) command.exitOverride().showHelpAfterError('(add --help for usage)');
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help')
        return EXIT.ok;
      if (e.code === 'usage') err.write(`trainyard: ${e.message}\n`);
      return EXIT.usage;
    }
    const { code: exitCode, message } = describeError(e);
    err.write(`trainyard: ${message}\n`);
    return exitCode;
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === (await import('node:fs')).realpathSync(process.argv[1])) {
  process.exitCode = await run(process.argv.slice(2));
}
