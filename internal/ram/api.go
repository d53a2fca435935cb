package ram

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ims"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/sts"

	"github.com/credreport/credreport/internal/kind"
	"github.com/credreport/credreport/internal/report"
)

// Page sizes: the largest each API accepts.
const (
	listUsersPageSize   = 1000
	listMFAPageSize     = 100
	reportPageSizeLimit = 3501
)

// Caller is who the credentials belong to.
type Caller struct {
	AccountID string
	// IdentityType is "Account" for the account's own (root) credentials,
	// "RAMUser" or "AssumedRoleUser" otherwise.
	IdentityType string
}

// IsRoot reports whether the caller is the account itself.
func (c Caller) IsRoot() bool { return c.IdentityType == "Account" }

// CallerIdentity calls STS GetCallerIdentity to learn who the credentials belong to.
func (c *Client) CallerIdentity(ctx context.Context) (Caller, error) {
	req := sts.CreateGetCallerIdentityRequest()
	resp := sts.CreateGetCallerIdentityResponse()
	if err := c.do(ctx, rpc{action: "GetCallerIdentity", host: c.sts, request: req, response: resp}); err != nil {
		return Caller{}, err
	}
	if resp.AccountId == "" {
		return Caller{}, kind.Errorf(kind.Internal, "GetCallerIdentity: the response has no AccountId")
	}
	return Caller{AccountID: resp.AccountId, IdentityType: resp.IdentityType}, nil
}

// listedUser is one user as ListUsers returns it.
type listedUser struct {
	UPN       string
	Created   time.Time
	LastLogin time.Time
}

// listUsers calls fn with every page of active and frozen users, in the
// service's order. IMS returns only active users unless asked for both.
func (c *Client) listUsers(ctx context.Context, fn func([]listedUser) error) error {
	marker := ""
	for page := 1; ; page++ {
		req := ims.CreateListUsersRequest()
		req.MaxItems = requests.NewInteger(listUsersPageSize)
		req.Status = "active,freeze"
		req.Marker = marker
		resp := ims.CreateListUsersResponse()
		if err := c.do(ctx, rpc{action: "ListUsers", host: c.ims, request: req, response: resp, subject: fmt.Sprintf("page %d", page)}); err != nil {
			return err
		}
		users := make([]listedUser, 0, len(resp.Users.User))
		for _, u := range resp.Users.User {
			created, err := parseAPITime("ListUsers", "CreateDate", u.CreateDate)
			if err != nil {
				return err
			}
			lastLogin, err := parseAPITime("ListUsers", "LastLoginDate", u.LastLoginDate)
			if err != nil {
				return err
			}
			if u.UserPrincipalName == "" {
				return kind.Errorf(kind.Internal, "ListUsers: a user without UserPrincipalName (UserId %s)", u.UserId)
			}
			users = append(users, listedUser{UPN: u.UserPrincipalName, Created: created, LastLogin: lastLogin})
		}
		if err := fn(users); err != nil {
			return err
		}
		if !resp.IsTruncated {
			return nil
		}
		if resp.Marker == "" || resp.Marker == marker {
			return kind.Errorf(kind.Internal, "ListUsers: truncated page %d without a new Marker", page)
		}
		marker = resp.Marker
	}
}

// loginProfile returns the user's login profile, or nil when there is none.
func (c *Client) loginProfile(ctx context.Context, upn string) (*report.LoginProfile, error) {
	req := ims.CreateGetLoginProfileRequest()
	req.UserPrincipalName = upn
	resp := ims.CreateGetLoginProfileResponse()
	err := c.do(ctx, rpc{action: "GetLoginProfile", host: c.ims, request: req, response: resp, subject: upn})
	switch {
	case isCode(err, codeNoLoginProfile):
		return nil, nil
	case isCode(err, codeUserNotFound):
		return nil, vanished(upn)
	case err != nil:
		return nil, err
	}
	p := resp.LoginProfile
	created, err := parseAPITime("GetLoginProfile", "CreateDate", p.CreateDate)
	if err != nil {
		return nil, err
	}
	updated, err := parseAPITime("GetLoginProfile", "UpdateDate", p.UpdateDate)
	if err != nil {
		return nil, err
	}
	switch p.Status {
	case "Active", "Inactive":
	default:
		return nil, kind.Errorf(kind.Internal, "GetLoginProfile %s: unknown Status %q", upn, p.Status)
	}
	return &report.LoginProfile{Active: p.Status == "Active", CreateDate: created, UpdateDate: updated}, nil
}

// accessKeys lists a user's AccessKeys; an empty upn lists the caller's own.
func (c *Client) accessKeys(ctx context.Context, upn string) ([]report.AccessKey, error) {
	req := ims.CreateListAccessKeysRequest()
	req.UserPrincipalName = upn
	resp := ims.CreateListAccessKeysResponse()
	err := c.do(ctx, rpc{action: "ListAccessKeys", host: c.ims, request: req, response: resp, subject: upn})
	if isCode(err, codeUserNotFound) {
		return nil, vanished(upn)
	}
	if err != nil {
		return nil, err
	}
	keys := make([]report.AccessKey, 0, len(resp.AccessKeys.AccessKey))
	for _, k := range resp.AccessKeys.AccessKey {
		created, err := parseAPITime("ListAccessKeys", "CreateDate", k.CreateDate)
		if err != nil {
			return nil, err
		}
		switch k.Status {
		case "Active", "Inactive":
		default:
			return nil, kind.Errorf(kind.Internal, "ListAccessKeys %s: unknown Status %q of key %s", upn, k.Status, k.AccessKeyId)
		}
		keys = append(keys, report.AccessKey{ID: k.AccessKeyId, Active: k.Status == "Active", CreateDate: created})
	}
	return keys, nil
}

// accessKeyLastUsed returns when the key was last used; zero means never.
// A key deleted since it was listed also counts as never used.
func (c *Client) accessKeyLastUsed(ctx context.Context, upn, keyID string) (time.Time, error) {
	req := ims.CreateGetAccessKeyLastUsedRequest()
	req.UserPrincipalName = upn
	req.UserAccessKeyId = keyID
	resp := ims.CreateGetAccessKeyLastUsedResponse()
	err := c.do(ctx, rpc{action: "GetAccessKeyLastUsed", host: c.ims, request: req, response: resp, subject: upn + " key " + keyID})
	switch {
	case isCode(err, codeUserNotFound):
		return time.Time{}, vanished(upn)
	case isCode(err, codeAccessKeyNotFound):
		return time.Time{}, nil
	case err != nil:
		return time.Time{}, err
	}
	return parseAPITime("GetAccessKeyLastUsed", "LastUsedDate", resp.AccessKeyLastUsed.LastUsedDate)
}

// userMFA reports whether the user has an MFA device (virtual or U2F) bound.
func (c *Client) userMFA(ctx context.Context, upn string) (bool, error) {
	req := ims.CreateGetUserMFAInfoRequest()
	req.UserPrincipalName = upn
	resp := ims.CreateGetUserMFAInfoResponse()
	err := c.do(ctx, rpc{action: "GetUserMFAInfo", host: c.ims, request: req, response: resp, subject: upn})
	switch {
	case isCode(err, codeNoMFADevice):
		return false, nil
	case isCode(err, codeUserNotFound):
		return false, vanished(upn)
	case err != nil:
		return false, err
	}
	return resp.IsMFAEnable || resp.MFADevice.SerialNumber != "", nil
}

// virtualMFAUsers returns the UPNs of users with a virtual MFA device bound.
// U2F devices are not listed, so a user missing here may still have MFA.
func (c *Client) virtualMFAUsers(ctx context.Context) (map[string]bool, error) {
	bound := make(map[string]bool)
	marker := ""
	for page := 1; ; page++ {
		req := ims.CreateListVirtualMFADevicesRequest()
		req.MaxItems = requests.NewInteger(listMFAPageSize)
		req.Marker = marker
		resp := ims.CreateListVirtualMFADevicesResponse()
		if err := c.do(ctx, rpc{action: "ListVirtualMFADevices", host: c.ims, request: req, response: resp, subject: fmt.Sprintf("page %d", page)}); err != nil {
			return nil, err
		}
		for _, d := range resp.VirtualMFADevices.VirtualMFADevice {
			// An unbound device has an empty User.
			if upn := d.User.UserPrincipalName; upn != "" {
				bound[upn] = true
			}
		}
		if !resp.IsTruncated {
			return bound, nil
		}
		if resp.Marker == "" || resp.Marker == marker {
			return nil, kind.Errorf(kind.Internal, "ListVirtualMFADevices: truncated page %d without a new Marker", page)
		}
		marker = resp.Marker
	}
}

func (c *Client) passwordPolicy(ctx context.Context) (report.PasswordPolicy, error) {
	req := ims.CreateGetPasswordPolicyRequest()
	resp := ims.CreateGetPasswordPolicyResponse()
	if err := c.do(ctx, rpc{action: "GetPasswordPolicy", host: c.ims, request: req, response: resp}); err != nil {
		return report.PasswordPolicy{}, err
	}
	return report.PasswordPolicy{MaxPasswordAge: resp.PasswordPolicy.MaxPasswordAge}, nil
}

func (c *Client) accountMFA(ctx context.Context) (bool, error) {
	req := ims.CreateGetAccountMFAInfoRequest()
	resp := ims.CreateGetAccountMFAInfoResponse()
	if err := c.do(ctx, rpc{action: "GetAccountMFAInfo", host: c.ims, request: req, response: resp}); err != nil {
		return false, err
	}
	return resp.IsMFAEnable, nil
}

// rootKeyCount returns how many AccessKeys the root has, which
// GetAccountSecurityPracticeReport returns to any caller.
func (c *Client) rootKeyCount(ctx context.Context) (int, error) {
	req := ims.CreateGetAccountSecurityPracticeReportRequest()
	resp := ims.CreateGetAccountSecurityPracticeReportResponse()
	if err := c.do(ctx, rpc{action: "GetAccountSecurityPracticeReport", host: c.ims, request: req, response: resp}); err != nil {
		return 0, err
	}
	n := resp.AccountSecurityPracticeInfo.AccountSecurityPracticeUserInfo.RootWithAccessKey
	if n < 0 {
		return 0, kind.Errorf(kind.Internal, "GetAccountSecurityPracticeReport: negative RootWithAccessKey %d", n)
	}
	return n, nil
}

// generateReport requests a native report and returns the generation state.
func (c *Client) generateReport(ctx context.Context) (string, error) {
	req := ims.CreateGenerateCredentialReportRequest()
	resp := ims.CreateGenerateCredentialReportResponse()
	if err := c.do(ctx, rpc{action: "GenerateCredentialReport", host: c.ims, request: req, response: resp}); err != nil {
		return "", err
	}
	return resp.State, nil
}

// reportPage fetches one page of the native report.
func (c *Client) reportPage(ctx context.Context, nextToken string, pageSize int) (report.Page, error) {
	req := ims.CreateGetCredentialReportRequest()
	req.NextToken = nextToken
	if pageSize > 0 {
		req.MaxItems = strconv.Itoa(pageSize)
	}
	resp := ims.CreateGetCredentialReportResponse()
	if err := c.do(ctx, rpc{action: "GetCredentialReport", host: c.ims, request: req, response: resp}); err != nil {
		return report.Page{}, err
	}
	truncated, err := parseTruncated(resp.IsTruncated)
	if err != nil {
		return report.Page{}, err
	}
	return report.Page{
		Content:       resp.Content,
		GeneratedTime: resp.GeneratedTime,
		IsTruncated:   truncated,
		NextToken:     resp.NextToken,
	}, nil
}

// parseTruncated reads GetCredentialReport's IsTruncated, which the API
// returns as the string "true" or "false".
func parseTruncated(v string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true":
		return true, nil
	case "false", "":
		return false, nil
	}
	return false, kind.Errorf(kind.Internal, "GetCredentialReport: invalid IsTruncated %q: want \"true\" or \"false\"", v)
}

// parseAPITime reads a service timestamp; empty means none (zero time).
func parseAPITime(action, field, value string) (time.Time, error) {
	if value == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, value)
	if err != nil {
		return time.Time{}, kind.Errorf(kind.Internal, "%s: invalid %s %q: want an RFC 3339 timestamp", action, field, value)
	}
	return t.UTC(), nil
}
