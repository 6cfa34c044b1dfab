import { useEffect, useRef } from 'preact/hooks';

/**
 * Where keyboard focus goes when the next action moves: a keyboard or screen-reader user should not have to
 * find their way back from the top of the page after each step.
 */

/** The composer of a room on screen (after Join: the next thing to do is to answer). */
export function focusComposer(roomId: string): void {
  document.getElementById(`composer-${roomId}`)?.focus();
}

/**
 * Once the queue's first page is on screen (just after sign-in), focus goes to its first room, or to the
 * queue itself when it is empty, unless the person already put it somewhere.
 */
export function useQueueFocus(loading: boolean): void {
  const done = useRef(false);
  useEffect(() => {
    if (loading || done.current) return;
    done.current = true;
    const active = document.activeElement;
    if (active && active !== document.body) return;
    const target =
      document.querySelector<HTMLElement>('[data-testid="queue"] .queue-item') ??
      document.querySelector<HTMLElement>('[data-testid="queue"]');
    target?.focus();
  }, [loading]);
}
