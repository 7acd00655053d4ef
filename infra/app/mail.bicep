// Email through Azure Communication Services' SMTP relay: an Email service with an Azure-managed domain, linked to a
// Communication Services resource, and a Key Vault (RBAC, no access policies) for the relay's password, which the app
// reads through a Key Vault reference and never holds in its settings or code.
param emailServiceName string
param communicationServiceName string
param keyVaultName string
param tags object

@description('Where Communication Services keeps its data at rest.')
param dataLocation string = 'Europe'

resource emailService 'Microsoft.Communication/emailServices@2023-04-01' = {
  name: emailServiceName
  location: 'global'
  tags: tags
  properties: { dataLocation: dataLocation }

  // A domain Azure manages (xxxx.azurecomm.net): mails can be sent at once; a custom domain can replace it later.
  resource domain 'domains' = {
    name: 'AzureManagedDomain'
    location: 'global'
    tags: tags
    properties: {
      domainManagement: 'AzureManaged'
      userEngagementTracking: 'Disabled' // no tracking pixels or rewritten links in mails to vulnerable people
    }
  }
}

resource communication 'Microsoft.Communication/communicationServices@2023-04-01' = {
  name: communicationServiceName
  location: 'global'
  tags: tags
  properties: {
    dataLocation: dataLocation
    linkedDomains: [emailService::domain.id]
  }
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: keyVaultName
  location: resourceGroup().location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: { family: 'A', name: 'standard' }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 30
    enablePurgeProtection: true
    publicNetworkAccess: 'Enabled'
  }
}

output communicationServiceName string = communication.name
output communicationServiceId string = communication.id
output senderAddress string = 'DoNotReply@${emailService::domain.properties.fromSenderDomain}'
// The relay's password is the vault's `mail-smtp-password`, which the operator sets once (infra/README.md, "Mail").
output keyVaultName string = vault.name
