// Entry point of the agent console: mounts the app into index.html's #app.
import { render } from 'preact';
import { App } from './app.tsx';

const root = document.getElementById('app');
if (root) render(<App />, root);
