// Types for validate.mjs (plain JS so the osbuild double runs without a build step).
export interface ValidationErrorEntry {
  message: string;
  path: (string | number)[];
  /** osbuild's path rendering, e.g. `.pipelines[0].stages[0].options`. */
  id: string;
}
export declare class ValidationResult {
  readonly valid: boolean;
  add(message: string, path: (string | number)[]): void;
  sorted(): ValidationErrorEntry[];
  asDict(): {
    type: 'https://osbuild.org/validation-error';
    title: string;
    success: false;
    errors: { message: string; path: (string | number)[] }[];
  };
}
export declare function defaultSchemaDir(): string;
export declare function pathId(path: (string | number)[]): string;
export declare class Validator {
  /** The schema directory in use, or null when only the built-in structure checks apply. */
  readonly schemaDir: string | null;
  constructor(schemaDir?: string);
  hasModule(klass: 'Stage' | 'Source' | 'Input' | 'Device' | 'Mount', name: string): boolean;
  validate(manifest: unknown): ValidationResult;
  validateV1(manifest: unknown): ValidationResult;
}
