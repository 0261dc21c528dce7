import { ChatIcon, CloseIcon } from './icons.tsx';

interface LauncherProps {
  open: boolean;
  unread: number;
  /** Text beside the icon while the panel is closed (the site's launcherLabel). */
  label?: string | undefined;
  onToggle: () => void;
}

export function Launcher(props: LauncherProps) {
  return (
    <button
      type="button"
      class={props.label && !props.open ? 'launcher labelled' : 'launcher'}
      data-testid="parley-launcher"
      aria-label={props.open ? 'Close chat' : 'Open chat'}
      aria-expanded={props.open}
      onClick={props.onToggle}
    >
      {props.open ? <CloseIcon /> : <ChatIcon />}
      {props.label && !props.open && <span data-testid="parley-launcher-label">{props.label}</span>}
      {!props.open && props.unread > 0 && (
        <span class="badge" data-testid="parley-unread">{props.unread > 99 ? '99+' : props.unread}</span>
      )}
    </button>
  );
}
