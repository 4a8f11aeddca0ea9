// Entry point of the console bundle (built by Vite into dist/console, served by `airlock serve`).
import { render } from 'preact';
import { App } from './app.js';
import './styles.css';

render(<App />, document.getElementById('app')!);
