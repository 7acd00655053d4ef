// Matching on Azure Functions Flex Consumption: the function app (.NET isolated worker), its storage,
// a user-assigned managed identity with exactly the roles it needs, and monitoring without local auth.
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('Name of the azd environment; used to name and tag every resource.')
param environmentName string

@minLength(1)
@description('Azure region for every resource.')
param location string

@description('Entra ID tenant whose tokens the API accepts.')
param entraTenantId string

@description('Audience (application ID URI or client id) the API expects in tokens.')
param entraAudience string

@description('Instead of the tenant: the OpenID issuer whose tokens the API accepts, e.g. an Entra External ID tenant https://{name}.ciamlogin.com/{tenant id}/v2.0 (empty: the workforce tenant above).')
param entraAuthority string = ''

@minValue(40)
@maxValue(1000)
@description('Most instances the Flex Consumption plan may scale out to.')
param maximumInstanceCount int = 100

// The worker peaks at 258 MiB with 10,000 mentors under 50 requests a second (docs/benchmarks.md); the instance also
// holds the Functions host, whose use cannot be measured off Azure, so 512 MB is not promised: 2,048 it is.
@allowed([512, 2048, 4096])
@description('Memory per instance, in MB.')
param instanceMemoryMB int = 2048

@minValue(0)
@maxValue(10)
@description('Always-ready instances for HTTP functions (0 = scale from zero; each one is billed while idle).')
param alwaysReadyHttpInstances int = 0

@description('Schedule (six-field NCRONTAB, UTC) of the timer that releases expired seat holds.')
param releaseExpiredHoldsSchedule string = '0 * * * * *'

@description('Schedule (six-field NCRONTAB, UTC) of the timer that purges old diagnostic pings.')
param purgeDiagnosticPingsSchedule string = '0 15 3 * * *'

@description('Schedule of the mentoring deadlines timer (offers and proposals that expire), six-field NCRONTAB in UTC.')
param mentoringDeadlinesSchedule string = '0 */5 * * * *'

@description('Schedule of the daily NGO follow-up alerts timer, six-field NCRONTAB in UTC.')
param followUpAlertsSchedule string = '0 0 6 * * *'

@description('Schedule of the daily purge of abuse-limit counts whose window is over, six-field NCRONTAB in UTC.')
param purgeAbuseLimitsSchedule string = '0 45 3 * * *'

@description('Schedule of the daily purge of invitations expired for a day (and the emails they hold), six-field NCRONTAB in UTC.')
param purgeInvitationsSchedule string = '0 30 3 * * *'

@description('Schedule of the weekly retraining on real outcomes (promoted only through the gate), six-field NCRONTAB in UTC.')
param retrainSchedule string = '0 0 4 * * 1'

@description('Schedule of the timer that sends reminders (sessions, offers, held seats), six-field NCRONTAB in UTC.')
param remindersSchedule string = '0 */5 * * * *'

@description('Schedule of the timer that sends notices committed but never announced (after a crash), six-field NCRONTAB in UTC.')
param outboxSweepSchedule string = '30 */5 * * * *'

@description('SMTP user name of the Entra application allowed to send through Communication Services (infra/README.md, "Mail"); empty: no mail is sent.')
param mailSmtpUserName string = ''

@description('Public address of the API, for the links in mails (empty: the function app\'s own address).')
param publicBaseUrl string = ''

@description('Client id of the pages\' web app registration at the sign-in provider (Entra External ID; infra/README.md, "People\'s pages"); empty: the pages\' sign-in is off.')
param pagesSignInClientId string = ''

@description('The sender of SMS (a number bought on the Communication Services resource, E.164, or an alphanumeric sender id); empty: no SMS is sent.')
param smsFrom string = ''

var abbrs = loadJsonContent('abbreviations.json')
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = { 'azd-env-name': environmentName }
var deploymentContainer = 'app-package-${take(resourceToken, 7)}'

// What the app uses; created here so that the app never needs rights to create them, and checked against
// the app's own declarations by tests/Matching.DeploymentTests.
var storageTables = ['abuselimits', 'accesslinks', 'audit', 'diagnosticpings', 'followupalerts', 'invitations', 'learners', 'lheoimports', 'members', 'memberships', 'mentoringcheckins', 'mentoringdeadlines', 'mentoringsessions', 'mentorrequests', 'mentors', 'modelversions', 'noticedeliveries', 'noticefailures', 'notificationpreferences', 'offers', 'organisations', 'programmes', 'reminders', 'venues', 'webhooks']
var storageQueues = ['diagnostic-pings', 'diagnostic-pings-poison', 'lheo-imports', 'lheo-imports-poison', 'mentor-erasures', 'mentor-erasures-poison', 'mentor-requests', 'mentor-requests-poison', 'notice-deliveries', 'notice-deliveries-poison', 'notices', 'notices-poison']
var storageContainers = ['data-protection', 'keys', 'lheo-imports', 'models']

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: '${abbrs.resourcesResourceGroups}${environmentName}'
  location: location
  tags: tags
}

module identity 'app/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: '${abbrs.managedIdentityUserAssignedIdentities}api-${resourceToken}'
    location: location
    tags: tags
  }
}

module storage 'app/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: '${abbrs.storageStorageAccounts}${resourceToken}'
    location: location
    tags: tags
    containers: concat([deploymentContainer], storageContainers)
    tables: storageTables
    queues: storageQueues
  }
}

module monitoring 'app/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: '${abbrs.operationalInsightsWorkspaces}${resourceToken}'
    applicationInsightsName: '${abbrs.insightsComponents}${resourceToken}'
    location: location
    tags: tags
  }
}

module mail 'app/mail.bicep' = {
  name: 'mail'
  scope: rg
  params: {
    emailServiceName: '${abbrs.communicationEmailServices}${resourceToken}'
    communicationServiceName: '${abbrs.communicationCommunicationServices}${resourceToken}'
    keyVaultName: '${abbrs.keyVaultVaults}${resourceToken}'
    tags: tags
  }
}

module rbac 'app/rbac.bicep' = {
  name: 'rbac'
  scope: rg
  params: {
    storageAccountName: storage.outputs.name
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    keyVaultName: mail.outputs.keyVaultName
    principalId: identity.outputs.principalId
  }
}

module api 'app/functionapp.bicep' = {
  name: 'api'
  scope: rg
  params: {
    name: '${abbrs.webSitesFunctions}api-${resourceToken}'
    planName: '${abbrs.webServerFarms}${resourceToken}'
    location: location
    tags: union(tags, { 'azd-service-name': 'api' })
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    storageAccountName: storage.outputs.name
    deploymentContainer: deploymentContainer
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    entraTenantId: entraTenantId
    entraAudience: entraAudience
    entraAuthority: entraAuthority
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
    alwaysReadyHttpInstances: alwaysReadyHttpInstances
    releaseExpiredHoldsSchedule: releaseExpiredHoldsSchedule
    purgeDiagnosticPingsSchedule: purgeDiagnosticPingsSchedule
    mentoringDeadlinesSchedule: mentoringDeadlinesSchedule
    followUpAlertsSchedule: followUpAlertsSchedule
    purgeAbuseLimitsSchedule: purgeAbuseLimitsSchedule
    purgeInvitationsSchedule: purgeInvitationsSchedule
    retrainSchedule: retrainSchedule
    remindersSchedule: remindersSchedule
    outboxSweepSchedule: outboxSweepSchedule
    mailSmtpUserName: mailSmtpUserName
    mailSenderAddress: mail.outputs.senderAddress
    mailKeyVaultName: mail.outputs.keyVaultName
    publicBaseUrl: publicBaseUrl
    pagesSignInClientId: pagesSignInClientId
    smsFrom: smsFrom
  }
  dependsOn: [rbac]
}

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output SERVICE_API_NAME string = api.outputs.name
output SERVICE_API_URI string = api.outputs.uri
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
output MATCHING_VAULT_NAME string = mail.outputs.keyVaultName
output MATCHING_COMMUNICATION_SERVICE_NAME string = mail.outputs.communicationServiceName
