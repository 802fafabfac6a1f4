/**
 * The reader study's field of view limits, in their own file so the pages can use them without
 * pulling the synthesis code (prepare.ts) into the main bundle.
 */

/** About an abdominal lesion with its surroundings; the same for every item, so the crop does not give lesion size away. */
export const DEFAULT_FOV_MM = 100;
/** Below 20 mm a large lesion fills the view; above 300 mm the view is the whole abdomen. */
export const FOV_MM_RANGE = [20, 300] as const;
