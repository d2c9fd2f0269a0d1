/** An event's settings as MySQL, the source of truth, holds them and Redis is given them. */
export interface EventSettings { state: string; opensAt: number | null; closesAt: number | null; total: number }

/** The applications topic's end offset per partition ("<partition>": "<offset>"), as a restore marker holds them. */
export type EndOffsets = Record<string, string>;

/** A restore in force: the applications topic's end offsets when the loss was noticed. `raw` is its identity. */
export interface RestoreMarker { raw: string; ends: EndOffsets; at: number }
