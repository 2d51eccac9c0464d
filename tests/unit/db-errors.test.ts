import { describe, expect, it } from 'vitest';
import { DatabaseUnavailableError, isDatabaseUnavailable } from '../../platform/index.ts';

/** Errors shaped as postgres.js and Node give them. */
const coded = (code: string, severity?: string) =>
  Object.assign(new Error(code), severity ? { code, severity } : { code });

describe('isDatabaseUnavailable', () => {
  it('counts a database out of reach or a session ended under the statement', () => {
    for (const error of [
      coded('CONNECTION_CLOSED'),
      coded('CONNECT_TIMEOUT'),
      coded('ECONNREFUSED'),
      coded('57P01', 'FATAL'), // pg_terminate_backend, or a restart
      coded('57P03', 'FATAL'), // starting up
      coded('53300', 'FATAL'), // too many clients
      coded('55000', 'FATAL'), // the database does not allow connections
      coded('08006'),
      new AggregateError([coded('ECONNREFUSED'), coded('ECONNREFUSED')]),
      new DatabaseUnavailableError('down'),
    ]) {
      expect(isDatabaseUnavailable(error), String(error)).toBe(true);
    }
  });

  it('leaves statement errors and everything else to be what they are', () => {
    for (const error of [
      coded('23505', 'ERROR'), // unique violation
      coded('40001', 'ERROR'), // serialization failure
      coded('55000', 'ERROR'), // object not in prerequisite state, within a session
      coded('57014', 'ERROR'), // statement cancelled
      new Error('plain'),
      'a string',
      undefined,
      null,
    ]) {
      expect(isDatabaseUnavailable(error), String(error)).toBe(false);
    }
  });
});
