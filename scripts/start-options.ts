// `pnpm start` arguments, validated once with node's own parser; a wrong value is refused with the form.
import { parseArgs } from 'node:util';
import { checkDistinctPorts, DemoUsageError, parseDemoSpeed } from '../collector/src/cli/demo-options.ts';

export interface StartOptions {
  readonly demo: boolean;
  readonly dashboard: boolean;
  /** Collector OTLP/HTTP + query API port. */
  readonly port: number;
  /** Collector OTLP/gRPC port, or 'off'. */
  readonly grpcPort: number | 'off';
  readonly dashboardPort: number;
  /** Passed to the collector as CORSIGHT_DATA_DIR when given. */
  readonly dataDir: string | undefined;
  /** Passed to `corsight demo --speed` when given. */
  readonly demoSpeed: string | undefined;
  /** Ports of the demo's shop, catalog and inventory APIs. */
  readonly shopPort: number;
  readonly catalogPort: number;
  readonly inventoryPort: number;
  readonly help: boolean;
}

export class StartUsageError extends Error {
  override readonly name = 'StartUsageError';
}

export const START_USAGE = `Usage: pnpm start [--demo] [options]

Starts the Corsight collector and the dashboard on 127.0.0.1 (building the dashboard when its build is
missing or older than its sources); with --demo also three demo services (two with Corsight's
instrumentation, one seen through plain OpenTelemetry HTTP spans) and browser-like traffic. Ctrl-C (or
SIGTERM) stops everything, the collector last.

Options:
  --demo                  also run \`corsight demo\` (demo services on 4400, 4401 and 4402)
  --no-dashboard          collector (and demo) only
  --port <port>           collector OTLP/HTTP and query API port (default: 4318, or CORSIGHT_OTLP_PORT)
  --grpc-port <port|off>  collector OTLP/gRPC port (default: 4317, or CORSIGHT_OTLP_GRPC_PORT)
  --dashboard-port <port> dashboard port (default: 3000)
  --data-dir <dir>        collector data directory (default: ./.corsight/data, or CORSIGHT_DATA_DIR)
  --demo-speed <factor>   run the demo scenario faster (for trying things out quickly)
  --shop-port <port>      the demo's Fastify API (default: 4400)
  --catalog-port <port>   the demo's Express API (default: 4401)
  --inventory-port <port> the demo's API seen through plain HTTP spans (default: 4402, any free one when taken)
  -h, --help              this text
`;

function port(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const number = Number(value);
  // Port 0 would hide the address the other parts need.
  if (!/^\d+$/.test(value) || number < 1 || number > 65535) {
    throw new StartUsageError(`--${name} must be a port number 1–65535, got "${value}"`);
  }
  return number;
}

export function parseStartOptions(
  args: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): StartOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...args],
      allowNegative: true,
      options: {
        demo: { type: 'boolean', default: false },
        dashboard: { type: 'boolean', default: true },
        port: { type: 'string' },
        'grpc-port': { type: 'string' },
        'dashboard-port': { type: 'string' },
        'data-dir': { type: 'string' },
        'demo-speed': { type: 'string' },
        'shop-port': { type: 'string' },
        'catalog-port': { type: 'string' },
        'inventory-port': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (error) {
    throw new StartUsageError((error as Error).message);
  }
  const grpc = values['grpc-port'] ?? env.CORSIGHT_OTLP_GRPC_PORT;
  // The demo's options are checked here, before anything starts, and only taken with --demo.
  const demoOnly = ['demo-speed', 'shop-port', 'catalog-port', 'inventory-port'] as const;
  const stray = demoOnly.find((name) => values[name] !== undefined);
  if (!values.demo && stray !== undefined) {
    throw new StartUsageError(`--${stray} is an option of the demo: add --demo`);
  }
  const ports = {
    shopPort: port('shop-port', values['shop-port'], 4400),
    catalogPort: port('catalog-port', values['catalog-port'], 4401),
    inventoryPort: port('inventory-port', values['inventory-port'], 4402),
  };
  try {
    if (values['demo-speed'] !== undefined) parseDemoSpeed(values['demo-speed'], 'demo-speed');
    checkDistinctPorts(ports);
  } catch (error) {
    if (error instanceof DemoUsageError) throw new StartUsageError(error.message);
    throw error;
  }
  return {
    demo: values.demo,
    dashboard: values.dashboard,
    port: port('port', values.port ?? env.CORSIGHT_OTLP_PORT, 4318),
    grpcPort: grpc === 'off' ? 'off' : port('grpc-port', grpc, 4317),
    dashboardPort: port('dashboard-port', values['dashboard-port'], 3000),
    dataDir: values['data-dir'],
    demoSpeed: values['demo-speed'],
    ...ports,
    help: values.help,
  };
}
