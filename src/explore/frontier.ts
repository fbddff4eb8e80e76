// A BFS level held as encoded states (StateCodec bytes), not Immutable objects: a few dozen
// bytes per state instead of a graph of collections that the garbage collector must trace
// and promote. A state is decoded when it is expanded.
import { ByteSink, StateCodec } from '../state/codec.ts';

/** The states of one BFS level, in insertion order. */
export class Frontier<S> {
  private readonly sink = new ByteSink(1 << 16);
  private offsets = new Uint32Array(1024);
  private count = 0;

  /** `codec` is shared by the levels of one search (it knows the Record types met). */
  constructor(private readonly codec: StateCodec) {}

  get length(): number {
    return this.count;
  }

  /** Bytes held (encoded states and their offsets). */
  get bytes(): number {
    return this.sink.length + this.count * 4;
  }

  push(state: S): void {
    if (this.count === this.offsets.length) {
      const o = new Uint32Array(this.offsets.length * 2);
      o.set(this.offsets);
      this.offsets = o;
    }
    this.offsets[this.count++] = this.codec.encode(state, this.sink);
  }

  /** The k-th state (a fresh decoded copy, equal to the one pushed). */
  get(k: number): S {
    return this.codec.decode(this.sink.bytes, this.offsets[k]) as S;
  }

  /** Empties the level, keeping its buffers. */
  clear(): void {
    this.codec.forgetDecoded();
    this.sink.clear();
    this.count = 0;
  }
}
