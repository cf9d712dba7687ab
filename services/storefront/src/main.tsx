import { render } from 'preact';
import { App } from './app.js';
import { followOtherTabs, session } from './services.js';
import './styles.css';

followOtherTabs();
void session.restore();
render(<App />, document.getElementById('app')!);
