package ram

// RequiredActions are the RAM permissions a generation needs: every IMS
// action this package calls, as "ram:<Action>". STS GetCallerIdentity needs
// no permission. Deployment policies grant exactly these.
var RequiredActions = []string{
	"ram:ListUsers",
	"ram:GetLoginProfile",
	"ram:ListAccessKeys",
	"ram:GetAccessKeyLastUsed",
	"ram:GetUserMFAInfo",
	"ram:ListVirtualMFADevices",
	"ram:GetPasswordPolicy",
	"ram:GetAccountMFAInfo",
	"ram:GetAccountSecurityPracticeReport",
	"ram:GenerateCredentialReport",
	"ram:GetCredentialReport",
}
