/**
 * Reads shared by concurrent callers, without ever answering a caller with a value read before
 * it asked: a caller that arrives while a read of its key is in flight waits for the next read,
 * which starts when that one settles and answers everyone who queued meanwhile. Under load one
 * round trip then serves many requests, and each still sees what was true when it arrived.
 */
export function freshReads<V>(read: (key: string) => Promise<V>): (key: string) => Promise<V> {
  interface Slot {
    current?: Promise<V>;
    next?: Promise<V>;
  }
  const slots = new Map<string, Slot>();

  const start = (key: string, slot: Slot): Promise<V> => {
    const value = read(key);
    slot.current = value;
    const settle = () => {
      if (slot.current !== value) return;
      slot.current = undefined;
      if (!slot.next && slots.get(key) === slot) slots.delete(key);
    };
    value.then(settle, settle);
    return value;
  };

  return (key) => {
    let slot = slots.get(key);
    if (!slot) {
      slot = {};
      slots.set(key, slot);
    }
    const inFlight = slot.current;
    if (!inFlight) return start(key, slot);
    if (slot.next) return slot.next;
    const s = slot;
    const next = inFlight
      .then(
        () => undefined,
        () => undefined,
      )
      .then(() => {
        s.next = undefined;
        return start(key, s);
      });
    s.next = next;
    return next;
  };
}
