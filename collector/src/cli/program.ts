// The `corsight` command line: one commander program, its subcommands, and the mapping of every way a
// command can end to an exit status. Output goes through `io` so tests run it in-process.
import { createRequire } from 'node:module';
import { Command, CommanderError } from 'commander';
import { DEFAULT_TIMEOUT_MS, parseCheckOptions, type RawCheckOptions } from './check-options.js';
import { EXIT_STATUS, NetworkError, UsageError } from './cli-errors.js';
import { DEMO_DEFAULTS, DemoUsageError, parseDemoOptions, type RawDemoOptions } from './demo-options.js';
import type { RawSchemaOptions } from './schema-command.js';
import { displayText, safeJson } from './terminal-text.js';

// Each command's module is loaded when that command runs: `start` then holds neither the demo's apps (Express,
// the OpenTelemetry SDK) nor `check`'s HTTP client in memory, and `check` never loads embedded ClickHouse.

export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

export interface CliContext {
  /** The environment `corsight start` reads its configuration from. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Aborted when the process is asked to stop (SIGINT, SIGTERM): long-running commands end then. */
  readonly stop: AbortSignal;
}

// src/cli/ and dist/cli/ are both two levels below the package root.
const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

function reportError(error: UsageError | NetworkError, json: boolean, io: CliIo): number {
  const hint = error instanceof UsageError ? "\nRun 'corsight check --help' for the expected form." : '';
  io.stderr(`corsight check: ${displayText(error.message, 2000)}${hint}\n`);
  if (json) {
    const kind = error instanceof UsageError ? 'usage' : 'network';
    io.stdout(`${safeJson({ error: { kind, code: error.code, message: error.message } })}\n`);
  }
  return EXIT_STATUS.cannotCheck;
}

/** Runs `corsight <args>` and resolves to the process exit status. */
export async function runCli(
  args: readonly string[],
  io: CliIo,
  context: CliContext = { env: process.env, stop: new AbortController().signal },
): Promise<number> {
  let status: number = EXIT_STATUS.allowed;
  const program = new Command('corsight')
    .description("See what browsers decide about your API's cross-origin requests.")
    .version(version)
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .showHelpAfterError("(run 'corsight --help' for the commands)");

  program
    .command('check')
    .showHelpAfterError("(run 'corsight check --help' for usage)")
    .description(
      "Send the requests a browser would send for a page's fetch() (the preflight when needed, the actual request, " +
        'redirects) and show the CORS verdict. Exit status: 0 allowed, 1 blocked, 2 usage or network error.',
    )
    .argument('<url>', 'the API URL the page calls, e.g. https://api.example.com/orders')
    .option('--origin <origin>', "the page's origin, e.g. https://app.example.com (required)")
    .option(
      '-X, --method <method>',
      'the method the page uses; fetch() upper-cases only DELETE/GET/HEAD/OPTIONS/POST/PUT',
      'GET',
    )
    .option('-H, --header <name:value>', 'a header the page sets; repeat for more', collect)
    .option('--credentials', "the page fetches with credentials: 'include'")
    .option('--timeout <ms>', `per-request timeout in milliseconds (default: ${DEFAULT_TIMEOUT_MS})`)
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  corsight check https://api.example.com/orders --origin https://app.example.com',
        '  corsight check https://api.example.com/orders/7 --origin https://app.example.com -X PUT \\',
        "    -H 'Content-Type: application/json' -H 'Authorization: Bearer x' --credentials",
      ].join('\n'),
    )
    .action(async (url: string, options: Omit<RawCheckOptions, 'url'>) => {
      const json = options.json === true;
      try {
        const { checkCommand } = await import('./check-command.js');
        status = await checkCommand(parseCheckOptions({ ...options, url }), io.stdout);
      } catch (error) {
        if (!(error instanceof UsageError || error instanceof NetworkError)) throw error;
        status = reportError(error, json, io);
      }
    });

  program
    .command('start')
    .showHelpAfterError("(run 'corsight start --help' for usage)")
    .description(
      'Run the collector: OTLP in (HTTP :4318, gRPC :4317), ClickHouse out (embedded chDB in CORSIGHT_DATA_DIR, ' +
        'or CLICKHOUSE_URL), /healthz, /readyz and /metrics. Configured by environment variables ' +
        '(CORSIGHT_*, CLICKHOUSE_*) and an optional JSON file named by CORSIGHT_CONFIG; stops on SIGINT/SIGTERM.',
    )
    .action(async () => {
      const { startCommand } = await import('./start-command.js');
      status = await startCommand(context.env, io, context.stop);
    });

  program
    .command('demo')
    .showHelpAfterError("(run 'corsight demo --help' for usage)")
    .description(
      'Run three demo services (Fastify + @fastify/cors and Express + cors with Corsight, and an Express service ' +
        'seen only through plain OpenTelemetry HTTP spans) and browser-like traffic from several origins against ' +
        'them: allowed, preflight-heavy, misconfigured, rejected, scanner noise, a policy change that blocks an ' +
        'origin midway and a spike of refused requests. Spans go to a running collector; stops on SIGINT/SIGTERM.',
    )
    .option('--collector <url>', `the collector's OTLP/HTTP base URL (default: ${DEMO_DEFAULTS.collector})`)
    .option(
      '--shop-port <port>',
      `port of the shop API (Fastify; default: ${DEMO_DEFAULTS.shopPort}, 0: any free)`,
    )
    .option(
      '--catalog-port <port>',
      `port of the catalog API (Express; default: ${DEMO_DEFAULTS.catalogPort}, 0: any free)`,
    )
    .option(
      '--inventory-port <port>',
      `port of the inventory API (plain OpenTelemetry HTTP spans; default: ${DEMO_DEFAULTS.inventoryPort}, any free one when taken)`,
    )
    .option('--duration <seconds>', 'stop after this many seconds (default: run until stopped)')
    .option('--speed <factor>', 'run the scenario this many times faster (default: 1; for tests)')
    .option('--seed <integer>', `seed of the traffic plan (default: ${DEMO_DEFAULTS.seed})`)
    .action(async (options: RawDemoOptions) => {
      try {
        const { demoCommand } = await import('./demo-command.js');
        status = await demoCommand(parseDemoOptions(options), io, context.stop);
      } catch (error) {
        if (!(error instanceof DemoUsageError)) throw error;
        io.stderr(
          `corsight demo: ${displayText(error.message, 2000)}\nRun 'corsight demo --help' for the options.\n`,
        );
        status = EXIT_STATUS.cannotCheck;
      }
    });

  program
    .command('schema')
    .showHelpAfterError("(run 'corsight schema --help' for usage)")
    .description(
      "Print the ClickHouse DDL the collector's migrations run on an empty database, as a script for " +
        'clickhouse-client --multiquery, for operators who apply DDL themselves. With --cluster: ON CLUSTER, ' +
        'Replicated tables under <table>_local and Distributed tables under the plain names (CLICKHOUSE_CLUSTER).',
    )
    .option(
      '--cluster <name>',
      'the cluster of remote_servers, as in CLICKHOUSE_CLUSTER (default: one server)',
    )
    .option('--raw-ttl-days <days>', 'days raw events are kept, as CORSIGHT_RAW_TTL_DAYS (default: 14)')
    .option('--rollup-ttl-days <days>', 'days rollups are kept, as CORSIGHT_ROLLUP_TTL_DAYS (default: 400)')
    .action(async (options: RawSchemaOptions) => {
      const { SchemaUsageError, parseSchemaOptions, renderSchemaScript } =
        await import('./schema-command.js');
      try {
        io.stdout(renderSchemaScript(parseSchemaOptions(options)));
      } catch (error) {
        if (!(error instanceof SchemaUsageError)) throw error;
        io.stderr(
          `corsight schema: ${displayText(error.message, 2000)}\nRun 'corsight schema --help' for the options.\n`,
        );
        status = EXIT_STATUS.cannotCheck;
      }
    });

  try {
    await program.parseAsync(args, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      // commander has already printed its message; --help and --version end with its exit code 0.
      if (error.exitCode === 0) return EXIT_STATUS.allowed;
      // `check --json` promises JSON on stdout, usage errors included.
      if (args[0] === 'check' && args.includes('--json')) {
        const message = error.message.replace(/^error: /, '');
        io.stdout(`${safeJson({ error: { kind: 'usage', code: error.code, message } })}\n`);
      }
      return EXIT_STATUS.cannotCheck;
    }
    const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
    const lines = detail.split('\n').map((line) => displayText(line, 1000));
    io.stderr(`corsight: unexpected failure, please report it:\n${lines.join('\n')}\n`);
    return EXIT_STATUS.cannotCheck;
  }
  return status;
}
