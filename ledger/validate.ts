import { AppError } from '../platform/index.ts';

/** Largest number of points in one request: far above any purchase, far below int8 limits. */
export const pointsPerRequestMax = 1_000_000_000;

export function validatePoints(points: number, field: string): void {
  if (!Number.isSafeInteger(points) || points <= 0 || points > pointsPerRequestMax) {
    throw new AppError(
      'validation_failed',
      `${field} must be a whole number of points from 1 to ${pointsPerRequestMax}`,
      {
        fields: [{ field, reason: `must be an integer from 1 to ${pointsPerRequestMax}` }],
      },
    );
  }
}

export function validateKey(key: string): void {
  if (typeof key !== 'string' || key.length < 1 || key.length > 255) {
    throw new AppError('validation_failed', 'idempotencyKey must be 1 to 255 characters', {
      fields: [{ field: 'idempotencyKey', reason: 'must be 1 to 255 characters' }],
    });
  }
}
