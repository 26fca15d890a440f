import { ValidationError } from '../../layers/src/errors.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A UUID path parameter, lower-cased. */
export function uuidParam(params: Record<string, string>, name: string): string {
  const id = params[name] ?? '';
  if (!UUID.test(id)) throw new ValidationError(name, `"${id}" is not a UUID`);
  return id.toLowerCase();
}

export const composeIdParam = (params: Record<string, string>): string => uuidParam(params, 'composeId');

export function integerParam(query: Record<string, string>, name: string, fallback: number, min: number, max: number): number {
  const raw = query[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw new ValidationError(name, `"${raw}" is not a whole number`);
  const value = Number(raw);
  if (value < min || value > max) throw new ValidationError(name, `must be between ${min} and ${max}`);
  return value;
}
