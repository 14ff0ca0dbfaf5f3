// Files carried by a drag-and-drop, for the task list and the details pane alike.

/** Files from a drop, or undefined when the drag carried none. */
export function droppedFiles(e: DragEvent): File[] | undefined {
  const files = e.dataTransfer?.files;
  return files && files.length > 0 ? Array.from(files) : undefined;
}
