import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, type CfnResource, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { addChatStack, PROJECT_ROOT } from '../../lib/app.js';
import type { ChatStack } from '../../lib/chat-stack.js';
import { validateConfig, type WebConfig } from '../../web/config.js';

/** A CloudFormation template as JSON. */
export interface TemplateJson {
  readonly Resources: Record<
    string,
    { Type: string; Properties: Record<string, unknown>; [k: string]: unknown }
  >;
  readonly Outputs?: Record<string, { Value: unknown }>;
}

export interface Synthesized {
  readonly stack: ChatStack;
  readonly template: Template;
  readonly json: TemplateJson;
  readonly outdir: string;
  readonly templateFile: string;
  readonly synthMs: number;
}

export interface SynthOptions {
  /** Context on top of cdk.json's, as `-c key=value` would give it. */
  readonly context?: Record<string, unknown>;
  /**
   * Bundle the functions with esbuild, as `cdk synth` does. Off, the function assets are not built (much
   * faster); NodejsFunction still requires the handler files to exist.
   * @default true
   */
  readonly bundle?: boolean;
}

/** The context of cdk.json: the tests synthesize with the same feature flags as the CLI. */
export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(join(PROJECT_ROOT, 'cdk.json'), 'utf8')) as {
    context: Record<string, unknown>;
  };
  return cdkJson.context;
}

/**
 * Synthesizes the app in-process exactly as `bin/app.ts` builds it (cdk-nag included) into a fresh folder.
 * A cdk-nag error or a CloudFormation validation error makes `app.synth()` throw; the error then carries
 * the validation report so the failing rule and construct are in the test output.
 */
export function synthesize(options: SynthOptions = {}): Synthesized {
  const outdir = mkdtempSync(join(tmpdir(), 'chat-cdk-'));
  const app = new App({
    outdir,
    context: {
      ...cdkJsonContext(),
      ...(options.bundle === false ? { 'aws:cdk:bundling-stacks': [] } : {}),
      ...options.context,
    },
  });
  const started = performance.now();
  const stack = addChatStack(app);
  try {
    app.synth();
  } catch (error) {
    let report = '';
    try {
      report = readFileSync(join(outdir, 'validation-report.json'), 'utf8');
    } catch {
      // No report: the error is not a validation failure.
    }
    throw new Error(`${(error as Error).message}\n${report}`);
  }
  const synthMs = performance.now() - started;
  const templateFile = join(outdir, `${stack.artifactId}.template.json`);
  const json = JSON.parse(readFileSync(templateFile, 'utf8')) as TemplateJson;
  return { stack, template: Template.fromJSON(json), json, outdir, templateFile, synthMs };
}

/** The logical id a construct's CloudFormation resource has in its stack. */
export function logicalId(construct: IConstruct): string {
  const stack = Stack.of(construct);
  const resource = (construct.node.defaultChild ?? construct) as CfnResource;
  return stack.resolve(stack.getLogicalId(resource)) as string;
}

/** Resources of one type, keyed by logical id. */
export function resourcesOfType(json: TemplateJson, type: string) {
  return Object.fromEntries(Object.entries(json.Resources).filter(([, r]) => r.Type === type));
}

export interface CfnLintFinding {
  readonly Rule: { readonly Id: string };
  readonly Level: string;
  readonly Message: string;
  readonly Location: { readonly Path: unknown };
}

/**
 * cfn-lint checks left out, each for a reason. W3005 ("dependency already enforced by a GetAtt"): CDK's
 * Function always adds an explicit DependsOn on its role, redundant next to the GetAtt and harmless.
 */
export const CFN_LINT_IGNORED = ['W3005'] as const;

/**
 * Runs cfn-lint (preinstalled; in CI: `pip install cfn-lint==1.51.0`) over a template and returns its
 * findings. Throws when cfn-lint cannot be run, so a missing linter fails the test instead of passing it.
 */
export function cfnLint(templateFile: string): CfnLintFinding[] {
  const result = spawnSync(
    'cfn-lint',
    ['--format', 'json', '--ignore-checks', ...CFN_LINT_IGNORED, '--', templateFile],
    { encoding: 'utf8' },
  );
  if (result.error || result.stdout === '') {
    throw new Error(
      `cfn-lint could not run (${result.error?.message ?? result.stderr}); install it with: pip install cfn-lint==1.51.0`,
    );
  }
  return JSON.parse(result.stdout) as CfnLintFinding[];
}

/** A folder with an index.html, as `npm run build:web` leaves dist/web. */
export function builtWebDir(): string {
  const webDir = mkdtempSync(join(tmpdir(), 'chat-web-'));
  writeFileSync(join(webDir, 'index.html'), '<!doctype html><title>chat</title>');
  return webDir;
}

/**
 * The config.json the hosting deployment uploads, as the pages will read it: CDK writes it into the cloud
 * assembly with a marker for each deploy-time value, which stands in here as `token`.
 */
export function deployedWebConfig(s: Synthesized): WebConfig {
  const [deployment] = Object.values(resourcesOfType(s.json, 'Custom::CDKBucketDeployment'));
  const keys = deployment?.Properties.SourceObjectKeys as string[];
  for (const key of keys) {
    const file = join(s.outdir, `asset.${key.replace(/\.zip$/, '')}`, 'config.json');
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    return validateConfig(JSON.parse(text.replace(/<<marker:0x[0-9a-f]+:\d+>>/g, 'token')));
  }
  throw new Error('no config.json among the deployment sources');
}
