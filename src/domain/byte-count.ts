// The one check that a body carries exactly the bytes it declared. The body guard applies it as
// the request streams in, and each store applies it again to what reaches its storage (a store
// must never commit a range of the wrong length, whoever calls it): one rule, one error.
import { errors, type GraphError } from "./errors.js";

export class ByteCount {
  private seen = 0;
  constructor(readonly declared: number) {}

  get count(): number {
    return this.seen;
  }

  /** Counts `n` more bytes; throws as soon as the body is longer than declared. */
  add(n: number): void {
    this.seen += n;
    if (this.seen > this.declared) throw tooLong(this.declared);
  }

  /** Throws when the body ended before the declared length. */
  end(): void {
    if (this.seen !== this.declared) throw tooShort(this.seen, this.declared);
  }
}

const tooLong = (declared: number): GraphError => errors.invalidUpload(`The body is longer than the ${declared} bytes declared; nothing was committed.`);
const tooShort = (seen: number, declared: number): GraphError =>
  errors.invalidUpload(`The body ended after ${seen} of the ${declared} bytes declared; nothing was committed.`);
