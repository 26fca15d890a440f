/** Small helpers the route modules share. */
import { ValidationError } from '../../layers/src/errors.ts';
import type { Reply } from './http.ts';

export const ok = (body: unknown): Reply => ({ status: 200, body });

export const requiredQuery = (query: Record<string, string>, name: string): string => {
  const value = query[name];
  if (!value) throw new ValidationError(name, 'query parameter is required');
  return value;
};
