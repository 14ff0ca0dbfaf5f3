// A checkbox whose click sends a request shows the clicked state until the request answers: the
// stored state is re-rendered meanwhile (a poll, a neighbour's change) and would flip it back.
import { useState } from "preact/hooks";

/**
 * `pending[id]`: the state item `id` was clicked to, while `during(id, state, send)` waits for
 * `send`; afterwards the stored state shows again (the new one, or the old one on a failure).
 */
export function usePending<S>(): [Readonly<Record<string, S>>, (id: string, state: S, send: () => Promise<unknown>) => Promise<void>] {
  const [pending, setPending] = useState<Record<string, S>>({});
  const during = async (id: string, state: S, send: () => Promise<unknown>) => {
    setPending((p) => ({ ...p, [id]: state }));
    try {
      await send();
    } finally {
      setPending(({ [id]: _done, ...rest }) => rest);
    }
  };
  return [pending, during];
}
