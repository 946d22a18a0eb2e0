// `corsight start`: the collector, configured from the environment (and CORSIGHT_CONFIG), running until
// SIGINT or SIGTERM, then stopping in the order that loses nothing (start-collector.ts).
import { readFile } from 'node:fs/promises';
import { ConfigError, type Environment, readCollectorConfig } from '../config/collector-config.js';
import { startCollector } from '../server/start-collector.js';
import { EXIT_STATUS } from './cli-errors.js';
import type { CliIo } from './program.js';

async function configFile(env: Environment): Promise<{ name: string; text: string } | undefined> {
  const name = env.CORSIGHT_CONFIG;
  if (name === undefined || name === '') return undefined;
  try {
    return { name, text: await readFile(name, 'utf8') };
  } catch (error) {
    throw new ConfigError([
      `CORSIGHT_CONFIG names ${name}, which cannot be read: ${(error as Error).message}`,
    ]);
  }
}

/** Resolves with the exit status once the collector has stopped (after `stop` fires) or failed to start. */
export async function startCommand(env: Environment, io: CliIo, stop: AbortSignal): Promise<number> {
  let collector;
  try {
    const config = readCollectorConfig(env, await configFile(env));
    collector = await startCollector(config);
  } catch (error) {
    if (error instanceof ConfigError) {
      io.stderr(`corsight start: ${error.message}\n`);
      return EXIT_STATUS.cannotCheck;
    }
    io.stderr(`corsight start: the collector could not start: ${(error as Error).message}\n`);
    return EXIT_STATUS.cannotCheck;
  }
  io.stdout(
    `Corsight collector listening: OTLP/HTTP ${collector.httpUrl}/v1/traces` +
      (collector.grpcAddress === undefined ? '' : `, OTLP/gRPC ${collector.grpcAddress}`) +
      `, health ${collector.httpUrl}/readyz, metrics ${collector.httpUrl}/metrics\n`,
  );
  await new Promise<void>((resolve) => {
    if (stop.aborted) resolve();
    else {
      stop.addEventListener(
        'abort',
        () => {
          resolve();
        },
        { once: true },
      );
    }
  });
  io.stdout('Corsight collector stopping: closing the listeners, storing what the spool holds\n');
  await collector.close();
  io.stdout('Corsight collector stopped\n');
  return 0;
}
