import { pino } from 'pino';

export type Logger = pino.Logger;

/**
 * What a log line never holds, wherever a caller puts it: credentials in headers (member
 * sessions and staff tokens ride in Authorization, partner signatures in Hub-Signature), request
 * bodies (sign-in codes, pay codes, keys), and secrets by name. Nothing in the hub logs these
 * today; the list makes a future careless line harmless.
 */
const redactedPaths = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["hub-signature"]',
  'headers.authorization',
  'headers.cookie',
  'headers["hub-signature"]',
  'req.body',
  'body',
  'token',
  'code',
  'payCode',
  'privateJwk',
  '*.token',
  '*.payCode',
  '*.privateJwk',
  '*.d',
];

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/**
 * pino's error serializer copies every enumerable property of an error. ioredis puts the
 * failed command with its arguments on its errors, and the hub's Redis keys and values hold
 * pay codes and sign-in code hashes: the arguments are dropped, the command's name kept.
 * postgres.js's query parameters (present in its debug mode) go the same way.
 */
function serializeError(error: unknown): unknown {
  const serialized: unknown = pino.stdSerializers.err(error as Error);
  if (!isRecord(serialized)) return serialized;
  if (isRecord(serialized.command)) serialized.command = { name: serialized.command.name };
  delete serialized.parameters;
  delete serialized.args;
  return serialized;
}

export function createLogger(
  level: string,
  base: Record<string, unknown> = {},
  /** Where lines go; standard output unless given (tests capture them). */
  destination?: pino.DestinationStream,
): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { service: 'alliance-hub', ...base },
    timestamp: pino.stdTimeFunctions.isoTime,
    serializers: { err: serializeError },
    redact: { paths: redactedPaths, censor: '[redacted]' },
  };
  return destination ? pino(options, destination) : pino(options);
}
