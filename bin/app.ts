import { App } from 'aws-cdk-lib';
import { addChatStack } from '../lib/app.js';

const app = new App();
addChatStack(app);
app.synth();
