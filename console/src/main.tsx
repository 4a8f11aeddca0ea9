// Entry point of the console bundle (built by Vite into dist/console, served by `airlock serve`).
import { render } from 'preact';
import { App } from './app.js';
import './styles/base.css';
import './styles/cards.css';
import './styles/approvals.css';
import './styles/audit.css';

render(<App />, document.getElementById('app')!);
