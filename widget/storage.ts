// localStorage that never throws. Safari private mode, storage disabled by the visitor and a full
// quota all throw on access; the widget then keeps working for this page view from memory.

export interface SafeStorage {
  get<T>(key: string): T | null;
  set(key: string, value: unknown): void;
  remove(key: string): void;
}

export function openStorage(namespace: string): SafeStorage {
  // Holds only the keys localStorage refused, so that values written by other tabs stay visible.
  const memory = new Map<string, string>();

  function local(): Storage | null {
    try {
      return window.localStorage;
    } catch {
      return null;
    }
  }

  return {
    get<T>(key: string): T | null {
      const name = namespace + key;
      try {
        const raw = memory.has(name) ? memory.get(name) : local()?.getItem(name);
        return raw == null ? null : (JSON.parse(raw) as T);
      } catch {
        return null;
      }
    },
    set(key, value) {
      const name = namespace + key;
      let raw: string;
      try {
        raw = JSON.stringify(value);
      } catch {
        return;
      }
      try {
        const storage = local();
        if (!storage) throw new Error('no localStorage');
        storage.setItem(name, raw);
        memory.delete(name);
      } catch {
        memory.set(name, raw);
      }
    },
    remove(key) {
      const name = namespace + key;
      memory.delete(name);
      try {
        local()?.removeItem(name);
      } catch {
        // Nothing to undo: the value is gone from memory, and storage we cannot reach holds nothing new.
      }
    },
  };
}
