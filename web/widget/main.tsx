import '../styles.css';
import { mount } from '../shared/root.js';
import { WidgetApp } from './app.js';

void mount({
  page: 'widget',
  title: 'Customer support',
  intro: 'Sign in to chat with our support team.',
  role: 'customer',
  wrongRole: 'You are signed in as support staff. Staff answer customers from the support console.',
  App: WidgetApp,
});
