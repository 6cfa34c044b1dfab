import '../styles.css';
import { mount } from '../shared/root.js';
import { WidgetApp } from './app.js';

const element = document.getElementById('app');
if (element && new URLSearchParams(location.search).get('embed') === '1') {
  // Inside embed.js's frame on another site: guest sessions, no sign-in form.
  void import('./embed.js').then(({ mountEmbed }) => mountEmbed(element));
} else {
  void mount({
    page: 'widget',
    title: 'Customer support',
    intro: 'Sign in to chat with our support team.',
    role: 'customer',
    wrongRole: 'You are signed in as support staff. Staff answer customers from the support console.',
    App: WidgetApp,
  });
}
