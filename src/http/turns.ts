// One large collection page at a time per user. A large page is read and serialised in slices with
// a turn of the event loop between them (store/sqlite/query-readers.ts, reply.ts), so one page
// cannot hold others back for long; but each event-loop turn runs one slice of *every* page in
// progress, so another user's request waits once per turn for as many slices as pages are being
// built. Queueing one user's large pages behind each other bounds what others wait for by the
// number of users with a large page in progress, not by how many such pages one user sends at once
// (bench `queries`: the other user's GET /lists while one user runs four $top=999 queries).
// The user's own large pages take as long in total; only their overlap is gone.

/** Pages of more than this many items take a turn; smaller ones cost less than one slice and run at once. */
export const LARGE_PAGE = 100;

export class Turns {
  private readonly tails = new Map<string, Promise<void>>();

  /** Runs `fn` after every earlier `run` with the same key has settled. */
  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const before = this.tails.get(key) ?? Promise.resolve();
    let done!: () => void;
    const mine = new Promise<void>((resolve) => (done = resolve));
    const tail = before.then(() => mine);
    this.tails.set(key, tail);
    try {
      await before;
      return await fn();
    } finally {
      done();
      // The last in line forgets the key, so the map holds only users with pages in progress.
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}

// One per process, not per server: the slices compete for the process's event loop, whichever
// server instance (or test) they belong to.
const turns = new Turns();

/** `fn` (reading and answering one page of `top` items for `owner`) in the owner's turn when the page is large. */
export function inTurn<T>(owner: string, top: number, fn: () => Promise<T>): Promise<T> {
  return top > LARGE_PAGE ? turns.run(owner, fn) : fn();
}
