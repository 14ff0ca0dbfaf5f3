// @peculiar/x509 registers its algorithms through tsyringe, which refuses to load unless a
// Reflect metadata API (normally the `reflect-metadata` package) is present. That package is not a
// dependency here, so this installs the three functions tsyringe calls — and only when nothing
// else has provided them. The @peculiar/x509 classes carry no emitted `design:*` metadata, so a
// plain per-object store is all that is needed. Import this module before loading @peculiar/x509.

type Key = unknown;
type Store = Map<PropertyKey | undefined, Map<Key, unknown>>;

interface ReflectMetadataApi {
  defineMetadata(key: Key, value: unknown, target: object, property?: PropertyKey): void;
  getOwnMetadata(key: Key, target: object, property?: PropertyKey): unknown;
  getMetadata(key: Key, target: object, property?: PropertyKey): unknown;
}

export function installReflectMetadataShim(): void {
  const r = Reflect as typeof Reflect & Partial<ReflectMetadataApi>;
  if (typeof r.getMetadata === "function" && typeof r.defineMetadata === "function") return;

  const stores = new WeakMap<object, Store>();
  const own = (key: Key, target: object, property?: PropertyKey): { found: boolean; value: unknown } => {
    const byKey = stores.get(target)?.get(property);
    return byKey?.has(key) ? { found: true, value: byKey.get(key) } : { found: false, value: undefined };
  };
  const api: ReflectMetadataApi = {
    defineMetadata(key, value, target, property) {
      let store = stores.get(target);
      if (!store) stores.set(target, (store = new Map()));
      let byKey = store.get(property);
      if (!byKey) store.set(property, (byKey = new Map()));
      byKey.set(key, value);
    },
    getOwnMetadata: (key, target, property) => own(key, target, property).value,
    getMetadata(key, target, property) {
      // Inherited lookup, as reflect-metadata does: walk the prototype chain.
      for (let t: object | null = target; t !== null; t = Object.getPrototypeOf(t)) {
        const hit = own(key, t, property);
        if (hit.found) return hit.value;
      }
      return undefined;
    },
  };
  Object.assign(Reflect, api);
}

installReflectMetadataShim();
