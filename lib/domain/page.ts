/** One page of a list: `total` counts every match, `items` holds the page. */
export interface Page<T> {
  readonly total: number;
  readonly items: readonly T[];
}

/** What a list request asks for. */
export interface ListQuery {
  readonly offset: number;
  readonly limit: number;
  /** Case-insensitive substring of the name, if filtering. */
  readonly name?: string | undefined;
}
