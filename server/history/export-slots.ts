/**
 * A cap on exports running at once. An export no longer holds a connection or a read transaction (it reads
 * in short chunks), but each still streams for as long as its client downloads and takes its share of reads.
 */
export interface ExportSlots {
  /** A slot and the function that gives it back (call it once), or null when every slot is taken. */
  take(): (() => void) | null;
}

export function exportSlots(max: number): ExportSlots {
  let running = 0;
  return {
    take() {
      if (running >= max) return null;
      running++;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        running--;
      };
    },
  };
}
