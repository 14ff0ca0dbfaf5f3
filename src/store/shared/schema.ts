// One migration discipline for both stores: numbered steps, applied in order, each in its own
// transaction with the version it reaches; a released step is never edited (append a new one);
// a schema newer than this build refuses to open instead of being used half-understood.

/** Thrown when the data was migrated by a newer Taskdrop than this one. */
export class SchemaTooNewError extends Error {
  readonly userFacing = true;
}

/** Throws SchemaTooNewError when `current` is past the steps this build knows. */
export function refuseNewerSchema(current: number, known: number, where: string): void {
  if (current > known) {
    throw new SchemaTooNewError(`The ${where} schema is at version ${current}, newer than this Taskdrop understands (${known}); upgrade Taskdrop.`);
  }
}
