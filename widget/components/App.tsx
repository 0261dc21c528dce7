import { useEffect, useReducer } from 'preact/hooks';
import type { Chat } from '../chat.ts';
import { Launcher } from './Launcher.tsx';
import { Panel } from './Panel.tsx';

const increment = (count: number) => count + 1;

export function App(props: { chat: Chat }) {
  const chat = props.chat;
  const rerender = useReducer(increment, 0)[1];
  useEffect(() => {
    const unsubscribe = chat.subscribe(() => rerender(undefined));
    // A frame may have landed between the first render and this subscription.
    rerender(undefined);
    return unsubscribe;
  }, [chat]);

  const state = chat.state;
  return (
    <div
      class={state.settings.position === 'left' ? 'root left' : 'root'}
      style={{ '--parley-color': state.settings.color }}
    >
      <Launcher open={state.open} unread={state.unread} label={state.settings.launcherLabel} onToggle={() => chat.setOpen(!state.open)} />
      <Panel chat={chat} state={state} />
    </div>
  );
}
