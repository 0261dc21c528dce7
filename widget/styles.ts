// Everything here lives inside the widget's shadow root: it cannot touch the host page, and the host
// page's rules cannot reach it (the host element itself is reset inline, see index.tsx).
export const styles = `
* { box-sizing: border-box; margin: 0; }
.root {
  --accent: var(--parley-color, #4f46e5);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  color: #1f2330;
  -webkit-font-smoothing: antialiased;
}
button { font: inherit; cursor: pointer; }
button:focus-visible, textarea:focus-visible { outline: 2px solid var(--accent); outline-offset: 2px; }

.launcher {
  position: fixed; bottom: 20px; right: 20px; width: 56px; height: 56px;
  display: flex; align-items: center; justify-content: center;
  border: 0; border-radius: 50%; background: var(--accent); color: #fff;
  box-shadow: 0 4px 14px rgba(0, 0, 0, .22); transition: transform .15s ease;
}
.launcher:hover { transform: scale(1.06); }
.labelled { width: auto; gap: 8px; padding: 0 20px 0 15px; border-radius: 28px; font-weight: 600; white-space: nowrap; }
.left .launcher { right: auto; left: 20px; }
.badge {
  position: absolute; top: -3px; right: -3px; min-width: 20px; height: 20px; padding: 0 6px;
  border-radius: 10px; background: #e5484d; color: #fff; font-size: 12px; font-weight: 600; line-height: 20px;
}

.panel {
  position: fixed; bottom: 88px; right: 20px; width: 360px; height: 560px; max-height: calc(100vh - 108px);
  display: flex; flex-direction: column; overflow: hidden;
  background: #fff; border-radius: 14px; box-shadow: 0 12px 40px rgba(0, 0, 0, .18), 0 2px 6px rgba(0, 0, 0, .08);
}
.panel[hidden] { display: none; }
.left .panel { right: auto; left: 20px; }

.header { display: flex; align-items: center; gap: 12px; padding: 14px 12px 14px 18px; background: var(--accent); color: #fff; }
.header h2 { font-size: 16px; font-weight: 600; }
.status { display: flex; align-items: center; gap: 6px; font-size: 12.5px; opacity: .9; }
.status::before { content: ""; width: 7px; height: 7px; border-radius: 50%; background: #c7cbd4; }
.online::before { background: #3dd68c; }
.close { margin-left: auto; display: flex; padding: 6px; border: 0; border-radius: 8px; background: none; color: inherit; }
.close:hover { background: rgba(255, 255, 255, .16); }

.log { flex: 1; overflow-y: auto; padding: 16px 14px; display: flex; flex-direction: column; gap: 6px; background: #f7f8fa; }
.msg { display: flex; flex-direction: column; align-items: flex-start; max-width: 80%; }
.msg.visitor { align-self: flex-end; align-items: flex-end; }
.msg.system { align-self: center; max-width: 90%; }
.name { margin: 6px 0 2px 4px; font-size: 12px; color: #6b7180; }
.bubble {
  padding: 8px 12px; border-radius: 16px 16px 16px 4px; background: #fff; box-shadow: 0 1px 2px rgba(0, 0, 0, .08);
  white-space: pre-wrap; overflow-wrap: anywhere;
}
.visitor .bubble { border-radius: 16px 16px 4px 16px; background: var(--accent); color: #fff; box-shadow: none; }
.system .bubble { background: none; box-shadow: none; color: #6b7180; font-size: 12.5px; text-align: center; }
.sending .bubble { opacity: .6; }
.failed .bubble { opacity: .6; background: #8b8f99; }
.failure { margin-top: 2px; font-size: 12px; color: #c4332f; }
.retry { padding: 0; border: 0; background: none; color: inherit; font-size: inherit; text-decoration: underline; }
.typing { font-size: 12.5px; color: #6b7180; font-style: italic; padding: 2px 4px; }

.composer { display: flex; align-items: flex-end; gap: 8px; padding: 10px 10px 10px 14px; border-top: 1px solid #eceef2; }
.composer textarea {
  flex: 1; min-height: 24px; max-height: 120px; padding: 6px 0; border: 0; outline: none; resize: none;
  font: inherit; color: inherit; background: none; field-sizing: content;
}
.send {
  display: flex; padding: 8px; border: 0; border-radius: 10px; background: var(--accent); color: #fff;
  transition: opacity .15s ease;
}
textarea:placeholder-shown + .send { opacity: .35; }

@media (max-width: 480px) {
  .panel, .left .panel { top: 0; right: 0; bottom: 0; left: 0; width: auto; height: auto; max-height: none; border-radius: 0; }
  /* Below 16px, iOS Safari zooms the whole page when the textarea takes focus. */
  .composer textarea { font-size: 16px; }
}
@media (prefers-reduced-motion: reduce) {
  .launcher, .send { transition: none; }
}
`;
