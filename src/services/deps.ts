import type { Logger } from "pino";
import type { Config } from "../config.js";
import type { Store } from "../store/types.js";

/** What every use case is given: configuration, the store, a logger, and a clock tests can steer. */
export interface Deps {
  config: Config;
  store: Store;
  log: Logger;
  now: () => Date;
}
