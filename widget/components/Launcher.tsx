import { ChatIcon, CloseIcon } from './icons.tsx';

interface LauncherProps {
  open: boolean;
  unread: number;
  onToggle: () => void;
}

export function Launcher(props: LauncherProps) {
  return (
    <button
      type="button"
      class="launcher"
      data-testid="parley-launcher"
      aria-label={props.open ? 'Close chat' : 'Open chat'}
      aria-expanded={props.open}
      onClick={props.onToggle}
    >
      {props.open ? <CloseIcon /> : <ChatIcon />}
      {!props.open && props.unread > 0 && (
        <span class="badge" data-testid="parley-unread">{props.unread > 99 ? '99+' : props.unread}</span>
      )}
    </button>
  );
}
