import '../styles.css';
import { mount } from '../shared/root.js';
import { ConsoleApp } from './app.js';

void mount({
  page: 'console',
  title: 'Support console',
  intro: 'Sign in to answer customers.',
  role: 'staff',
  wrongRole: 'This console is for support staff. Customers chat from the support widget.',
  App: ConsoleApp,
});
