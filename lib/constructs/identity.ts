import { Aws, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import {
  AccountRecovery,
  FeaturePlan,
  Mfa,
  OAuthScope,
  StandardThreatProtectionMode,
  UserPool,
  type UserPoolClient,
  UserPoolClientIdentityProvider,
  type UserPoolDomain,
  UserPoolGroup,
} from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';
import { type OidcConfig, stackDomainPrefix } from '../config.js';

/** What a JWT must satisfy to be accepted, wherever it is checked (HTTP authorizer, WebSocket authorizer). */
export interface JwtSettings {
  /** Expected `iss`. */
  readonly issuer: string;
  /** Expected `aud`, or `client_id` for Cognito access tokens. */
  readonly audience: string;
  /** Further audiences both authorizers accept (the smoke test's app client). @default none */
  readonly extraAudiences?: readonly string[];
  /** Where the WebSocket authorizer fetches the signing keys. */
  readonly jwksUri: string;
}

export interface IdentityProps {
  /**
   * Bring-your-own OIDC issuer. When given, no user pool is created and tokens are checked against it.
   * @default - a Cognito user pool created here
   */
  readonly oidc?: OidcConfig;
  /** Name of the group whose members are staff. */
  readonly staffGroup: string;
  /**
   * Prefix of the Cognito hosted UI domain (`https://<prefix>.auth.<region>.amazoncognito.com`), unique in
   * the region across all AWS accounts.
   * @default `<stack name>-<account id>`, the stack name lowercased and cleaned ({@link stackDomainPrefix})
   */
  readonly domainPrefix?: string;
  /** OAuth redirect URLs of the web pages (the hosted pages' URL is added by the stack). */
  readonly callbackUrls: string[];
  /** OAuth sign-out URLs of the web pages. */
  readonly logoutUrls: string[];
  /**
   * Put the user pool on the Plus feature plan with threat protection enforced (billed per monthly active user).
   * @default false
   */
  readonly plus?: boolean;
  /**
   * Add an app client for `npm run smoke`: password sign-in by an administrator (`ADMIN_USER_PASSWORD_AUTH`)
   * and nothing else, short-lived tokens, and its id accepted by both APIs.
   * @default false
   */
  readonly smokeTestClient?: boolean;
  /**
   * Keep the user pool (the staff and customer accounts) when the stack is deleted.
   * @default true
   */
  readonly retain?: boolean;
}

/**
 * Who may use the chat: a Cognito user pool with a staff group and an app client for the web pages
 * (authorization code + PKCE, no secret), or a bring-your-own OIDC issuer. Either way it exposes the
 * {@link JwtSettings} both APIs verify tokens with.
 */
export class Identity extends Construct {
  public readonly jwt: JwtSettings;
  /** Absent with a bring-your-own issuer. */
  public readonly userPool?: UserPool;
  public readonly userPoolClient?: UserPoolClient;
  /** Only with `smokeTestClient`. */
  public readonly smokeTestClient?: UserPoolClient;
  public readonly domain?: UserPoolDomain;

  constructor(scope: Construct, id: string, props: IdentityProps) {
    super(scope, id);
    if (props.oidc) {
      this.jwt = { issuer: props.oidc.issuer, audience: props.oidc.audience, jwksUri: props.oidc.jwksUri };
      return;
    }
    const retain = props.retain ?? true;
    const plus = props.plus ?? false;
    const userPool = new UserPool(this, 'UserPool', {
      // Accounts are created by an administrator (staff) or by the product that embeds the chat (customers).
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      autoVerify: { email: true },
      signInCaseSensitive: false,
      passwordPolicy: {
        minLength: 12,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
      },
      mfa: Mfa.OPTIONAL,
      mfaSecondFactor: { otp: true, sms: false },
      accountRecovery: AccountRecovery.EMAIL_ONLY,
      featurePlan: plus ? FeaturePlan.PLUS : FeaturePlan.ESSENTIALS,
      ...(plus ? { standardThreatProtectionMode: StandardThreatProtectionMode.FULL_FUNCTION } : {}),
      deletionProtection: retain,
      removalPolicy: retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    Validations.of(userPool).acknowledge({
      id: 'AwsSolutions-COG2',
      reason:
        'MFA (TOTP) is optional: customers sign in to ask one question and cannot be made to enrol an ' +
        'authenticator. Staff accounts are created by an administrator, who can require MFA per user.',
    });
    if (!plus) {
      Validations.of(userPool).acknowledge({
        id: 'AwsSolutions-COG8',
        reason:
          'The Plus feature plan is billed per monthly active user, and most chat users are customers. ' +
          'Deploy with -c cognitoPlus=true to turn on threat protection (see docs/deploy.md).',
      });
    }

    const staffGroup = new UserPoolGroup(this, 'StaffGroup', {
      userPool,
      groupName: props.staffGroup,
      description: 'Support staff: see every room, join, leave and close rooms',
    });

    const userPoolClient = userPool.addClient('WebClient', {
      generateSecret: false,
      // The web pages sign in through the hosted UI (authorization code + PKCE) and only refresh tokens
      // against the API. Leaving ExplicitAuthFlows out would mean Cognito's defaults (SRP and custom auth
      // on top of refresh), so every flow is switched off here: CDK then renders exactly
      // ["ALLOW_REFRESH_TOKEN_AUTH"], which it adds whenever authFlows names any flow.
      authFlows: {
        user: false,
        userSrp: false,
        userPassword: false,
        adminUserPassword: false,
        custom: false,
      },
      oAuth: {
        flows: { authorizationCodeGrant: true },
        scopes: [OAuthScope.OPENID, OAuthScope.EMAIL, OAuthScope.PROFILE],
        callbackUrls: props.callbackUrls,
        logoutUrls: props.logoutUrls,
      },
      supportedIdentityProviders: [UserPoolClientIdentityProvider.COGNITO],
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
      accessTokenValidity: Duration.hours(1),
      idTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.days(30),
    });

    this.domain = userPool.addDomain('Domain', {
      cognitoDomain: {
        domainPrefix:
          props.domainPrefix ?? `${stackDomainPrefix(Stack.of(this).stackName)}-${Aws.ACCOUNT_ID}`,
      },
    });
    // A retained pool without its staff group, client and domain would make every staff member a customer
    // and let nobody sign in once it is reattached: they are the pool's data too.
    const removal = retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    for (const part of [staffGroup, userPoolClient, this.domain]) part.applyRemovalPolicy(removal);
    this.userPool = userPool;
    this.userPoolClient = userPoolClient;
    if (props.smokeTestClient) {
      // Only AdminInitiateAuth signs in with it, which needs the caller's IAM rights on the pool
      // (cognito-idp:AdminInitiateAuth): the client itself offers no public sign-in, no OAuth, no secret.
      this.smokeTestClient = userPool.addClient('SmokeTestClient', {
        generateSecret: false,
        authFlows: {
          adminUserPassword: true,
          user: false,
          userSrp: false,
          userPassword: false,
          custom: false,
        },
        disableOAuth: true,
        preventUserExistenceErrors: true,
        enableTokenRevocation: true,
        accessTokenValidity: Duration.minutes(5),
        idTokenValidity: Duration.minutes(5),
        refreshTokenValidity: Duration.minutes(60),
      });
    }
    this.jwt = {
      issuer: `https://${userPool.userPoolProviderUrl}`,
      audience: userPoolClient.userPoolClientId,
      ...(this.smokeTestClient ? { extraAudiences: [this.smokeTestClient.userPoolClientId] } : {}),
      jwksUri: `https://${userPool.userPoolProviderUrl}/.well-known/jwks.json`,
    };
  }
}
