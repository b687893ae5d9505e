package workflow

// Every event name of the activity log, in one place: those of SPEC §3 and
// the others the product writes. The activities table takes letters only.
const (
	EventUserLogin        = "UserLogin"
	EventUserLoginAttempt = "UserLoginAttempt"
	EventUserLogoff       = "UserLogoff"
	EventAdminLogin       = "AdminLogin"
	EventAdminLoginFail   = "AdminLoginAttempt"
	EventAdminLogoff      = "AdminLogoff"
	EventAdminTOTPEnrol   = "AdminTOTPEnrolled"
	EventAdminCreated     = "AdminCreated"
	EventAPIKeyCreated    = "APIKeyCreated"
	EventAccessDenied     = "AccessDenied"
	EventPortalChanged    = "PortalChanged"
	EventUserCreated      = "UserCreated"
	EventResourceCreated  = "ResourceCreated"
	EventUserAssigned     = "UserAssigned"
	EventUserUnassigned   = "UserUnassigned"
	EventUserUpdated      = "UserUpdated"
	EventUserDeleted      = "UserDeleted"
	EventUserUnlocked     = "UserUnlocked"
	EventUser2FAReset     = "UserTwoFactorReset" // letters only: the activities.event CHECK
	EventResourceUpdated  = "ResourceUpdated"
	EventResourceDeleted  = "ResourceDeleted"
	EventTokensImported   = "TokensImported"
	EventTokenAssigned    = "TokenAssigned"
	EventTokenEnabled     = "TokenEnabled"
	EventTokenDisabled    = "TokenDisabled"
	EventTokenReset       = "TokenFailcountReset"
	EventTokenDeleted     = "TokenDeleted"
	EventTokenChecked     = "TokenChecked"
	EventTokenSynced      = "TokenSynced"
	EventValidate         = "Validate"

	EventUserPasswordChangeRequest = "UserPasswordChangeRequest"
	EventUserPasswordChange        = "UserPasswordChange"
	EventUserEmailChangeRequest    = "UserEmailChangeRequest"
	EventUserEmailChange           = "UserEmailChange"
	EventUserPhoneChange           = "UserPhoneChange"
	EventUserLoginChange           = "UserLoginChange"
	EventUserNameChange            = "UserNameChange"
	EventTokenRegistered           = "TokenRegistered"
	EventTokenClaimed              = "TokenClaimed"
	EventTokenReassigned           = "TokenReassigned"
	EventTokenUnassigned           = "TokenUnassigned"
	EventTokenPinSet               = "TokenPinSet"
	EventTokenPinRemoved           = "TokenPinRemoved"
	EventRecoveryCodeUsed          = "RecoveryCodeUsed"
	EventRecoveryCodesCreated      = "RecoveryCodesCreated"
	EventIssueCreated              = "IssueCreated"
	EventIssueVerified             = "IssueVerified"
	EventIssueDeleted              = "IssueDeleted"
	EventIssueWithdrawn            = "IssueWithdrawn"
	EventRestoreProofFailed        = "RestoreProofFailed"
	EventSecondFactorStepUp        = "SecondFactorStepUp"
	EventDeviceRemembered          = "DeviceRemembered"
	EventDeviceRevoked             = "DeviceRevoked"
	// EventTokenCloneSuspected: a security key's signature counter went
	// backwards (or stood still): a copy of the key may exist (SPEC §14).
	EventTokenCloneSuspected = "TokenCloneSuspected"

	// Admin accounts and API keys.
	EventAdminUpdated         = "AdminUpdated"
	EventAdminDisabled        = "AdminDisabled"
	EventAdminEnabled         = "AdminEnabled"
	EventAdminTOTPReset       = "AdminTOTPReset"
	EventAdminPasswordReset   = "AdminPasswordReset"
	EventAPIKeyRevoked        = "APIKeyRevoked"
	EventNotificationsChanged = "NotificationsChanged"

	// Settings. Details name what changed, never a value that could be a
	// secret.
	EventSettingsChanged          = "SettingsChanged"
	EventTestMessageSent          = "TestMessageSent"
	EventActivityRetentionChanged = "ActivityRetentionChanged"

	// RADIUS (SPEC §11): the answers, with the client and NAS in the
	// details (a reject's real reason too), and the clients' changes.
	EventRadiusAccept        = "RadiusAccept"
	EventRadiusReject        = "RadiusReject"
	EventRadiusChallenge     = "RadiusChallenge"
	EventRadiusClientCreated = "RadiusClientCreated"
	EventRadiusClientDeleted = "RadiusClientDeleted"

	// Directories (SPEC §12): their settings and every sync's outcome.
	EventDirectoryCreated    = "DirectoryCreated"
	EventDirectoryUpdated    = "DirectoryUpdated"
	EventDirectoryDeleted    = "DirectoryDeleted"
	EventDirectorySynced     = "DirectorySynced"
	EventDirectorySyncFailed = "DirectorySyncFailed"
)

// ActivityEvents are the events the log knows, for the filters: those of
// SPEC §3 first, then the others the product writes.
var ActivityEvents = []string{
	EventUserLogin, EventUserLoginAttempt, EventUserLogoff, EventUserPasswordChangeRequest, EventUserPasswordChange,
	EventUserEmailChangeRequest, EventUserEmailChange, EventUserPhoneChange, EventUserLoginChange, EventUserNameChange,
	EventTokenRegistered, EventTokenClaimed, EventTokenReassigned, EventTokenUnassigned, EventTokenSynced,
	EventTokenPinSet, EventTokenPinRemoved, EventTokenEnabled, EventTokenDisabled, EventRecoveryCodeUsed,
	EventIssueCreated, EventIssueVerified, EventIssueDeleted, EventIssueWithdrawn, EventAdminLogin, EventAdminLoginFail,
	EventPortalChanged, EventAccessDenied, EventValidate,

	EventAdminLogoff, EventAdminTOTPEnrol, EventAdminCreated, EventAPIKeyCreated, EventUserCreated, EventUserUpdated,
	EventUserDeleted, EventUserAssigned, EventUserUnassigned, EventUserUnlocked, EventUser2FAReset,
	EventResourceCreated, EventResourceUpdated, EventResourceDeleted, EventTokensImported, EventTokenAssigned,
	EventTokenReset, EventTokenDeleted, EventTokenChecked, EventRecoveryCodesCreated, EventDeviceRemembered,
	EventDeviceRevoked, EventNotificationsChanged, EventActivityRetentionChanged,
	EventAdminUpdated, EventAdminDisabled, EventAdminEnabled, EventAdminPasswordReset, EventAdminTOTPReset,
	EventAPIKeyRevoked, EventSettingsChanged, EventTestMessageSent, EventRestoreProofFailed, EventSecondFactorStepUp,
	EventRadiusAccept, EventRadiusReject, EventRadiusChallenge, EventRadiusClientCreated, EventRadiusClientDeleted,
	EventDirectoryCreated, EventDirectoryUpdated, EventDirectoryDeleted, EventDirectorySynced, EventDirectorySyncFailed,
	EventTokenCloneSuspected,
}
