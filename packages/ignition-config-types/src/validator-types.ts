/** One finding of a generated shape validator (the subset of Ajv's error object we use). */
export interface ShapeError {
  /** JSON pointer of the offending value, e.g. `/storage/files/0/mode`. */
  instancePath: string;
  /** The schema keyword that failed: `type`, `additionalProperties`, `unevaluatedProperties`… */
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
}

/** A generated standalone validator: returns whether `data` fits, and leaves the findings. */
export interface ValidateFunction {
  (data: unknown): boolean;
  errors?: ShapeError[] | null;
}

/** The object keys a spec defines at each place: `f` its fields by name, `i` its list items. */
export interface FieldTree {
  f?: Record<string, FieldTree>;
  i?: FieldTree;
}
