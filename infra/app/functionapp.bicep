// The function app on Flex Consumption: a .NET 10 isolated worker (functions.metadata and host.json in the package).
param name string
param planName string
param location string
param tags object
param identityId string
param identityClientId string
param storageAccountName string
param deploymentContainer string
param applicationInsightsName string
param entraTenantId string
param entraAudience string
param entraAuthority string
param maximumInstanceCount int
param instanceMemoryMB int
param alwaysReadyHttpInstances int
param releaseExpiredHoldsSchedule string
param purgeDiagnosticPingsSchedule string
param mentoringDeadlinesSchedule string
param followUpAlertsSchedule string
param purgeAbuseLimitsSchedule string
param purgeInvitationsSchedule string
param retrainSchedule string
param remindersSchedule string
param outboxSweepSchedule string
param mailSmtpUserName string
param mailSenderAddress string
param mailKeyVaultName string
param publicBaseUrl string
param pagesSignInClientId string
param smsFrom string

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: { name: 'FC1', tier: 'FlexConsumption' }
  properties: { reserved: true }
}

resource site 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  tags: tags
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identityId}': {} }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    keyVaultReferenceIdentity: identityId // Key Vault references resolve with the app's identity
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${deploymentContainer}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
        alwaysReady: alwaysReadyHttpInstances > 0 ? [{ name: 'http', instanceCount: alwaysReadyHttpInstances }] : []
      }
      runtime: { name: 'dotnet-isolated', version: '10.0' }
    }
  }

  resource settings 'config' = {
    name: 'appsettings'
    properties: {
      // Identity-based storage for the host and the app: no connection string, no key.
      AzureWebJobsStorage__credential: 'managedidentity'
      AzureWebJobsStorage__clientId: identityClientId
      AzureWebJobsStorage__blobServiceUri: storage.properties.primaryEndpoints.blob
      AzureWebJobsStorage__queueServiceUri: storage.properties.primaryEndpoints.queue
      AzureWebJobsStorage__tableServiceUri: storage.properties.primaryEndpoints.table
      // Telemetry with Entra ID (local auth is off); the connection string holds no secret.
      APPLICATIONINSIGHTS_CONNECTION_STRING: appInsights.properties.ConnectionString
      APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
      AZURE_CLIENT_ID: identityClientId
      Auth__EntraTenantId: entraTenantId
      Auth__Audience: entraAudience
      Auth__Authority: entraAuthority
      // Timer schedules, resolved by the host from the triggers' %...% names (operators may change them here).
      ReleaseExpiredHoldsSchedule: releaseExpiredHoldsSchedule
      PurgeDiagnosticPingsSchedule: purgeDiagnosticPingsSchedule
      MentoringDeadlinesSchedule: mentoringDeadlinesSchedule
      FollowUpAlertsSchedule: followUpAlertsSchedule
      PurgeAbuseLimitsSchedule: purgeAbuseLimitsSchedule
      PurgeInvitationsSchedule: purgeInvitationsSchedule
      RetrainSchedule: retrainSchedule
      RemindersSchedule: remindersSchedule
      OutboxSweepSchedule: outboxSweepSchedule
      // Mail through Communication Services' SMTP relay (STARTTLS, login); the password is a Key Vault reference,
      // resolved by the platform with the app's identity. No user name: no relay, and mails are skipped.
      Mail__Host: empty(mailSmtpUserName) ? '' : 'smtp.azurecomm.net'
      Mail__Port: '587'
      Mail__Security: 'StartTls'
      Mail__UserName: mailSmtpUserName
      Mail__Password: '@Microsoft.KeyVault(VaultName=${mailKeyVaultName};SecretName=mail-smtp-password)'
      Mail__From: 'Matching <${mailSenderAddress}>'
      Notifications__LinkBaseUrl: empty(publicBaseUrl) ? 'https://${site.properties.defaultHostName}' : publicBaseUrl
      // People's pages sign in at Entra External ID (email one-time passcode): the authority is the API's, the client is
      // its web app registration (redirect https://<host>/signin-oidc), its secret a Key Vault reference. No client id:
      // the pages say that sign-in is not set up, and learners' links and the API work as before.
      Pages__SignIn__Authority: empty(pagesSignInClientId) ? '' : entraAuthority
      Pages__SignIn__ClientId: pagesSignInClientId
      Pages__SignIn__ClientSecret: empty(pagesSignInClientId) ? '' : '@Microsoft.KeyVault(VaultName=${mailKeyVaultName};SecretName=pages-signin-client-secret)'
      // Texts through Communication Services' SMS REST API, signed with the resource's access key held in the vault
      // (the SMS SDK is not used: its documented HMAC-SHA256 signing). No sender: no SMS, and links are given by hand.
      Sms__ConnectionString: empty(smsFrom) ? '' : '@Microsoft.KeyVault(VaultName=${mailKeyVaultName};SecretName=sms-connection-string)'
      Sms__From: smsFrom
    }
  }
}

output name string = site.name
output uri string = 'https://${site.properties.defaultHostName}'
