import { App } from 'aws-cdk-lib';
import { addChatStack } from '../lib/app.js';
import { CONTEXT } from '../lib/config.js';
import { buildWeb } from '../web/build.js';

const app = new App();
// `cdk deploy` hosts the pages of this checkout as they are now, so an operator never deploys stale or
// missing pages: build them first, unless hosting is off or the pages come from another folder.
const hosting = String(app.node.tryGetContext(CONTEXT.hosting) ?? 'auto');
if (hosting !== 'false' && app.node.tryGetContext(CONTEXT.webDir) === undefined) await buildWeb();
addChatStack(app);
app.synth();
