package ram

// stsVersion is the STS API version whose GetCallerIdentity the emulator
// serves, so that clients can learn the account ID and whether they are the root.
const stsVersion = "2015-04-01"

// stsActions are the STS actions the emulator serves.
var stsActions = map[string]actionHandler{
	"GetCallerIdentity": (*Server).getCallerIdentity,
}

// getCallerIdentity describes the caller: the account itself for a
// credential marked is_root, an assumed role for STS credentials, and a RAM
// user otherwise.
func (s *Server) getCallerIdentity(c *call) (any, *apiError) {
	type response struct {
		RequestId    string `json:"RequestId"`
		AccountId    string `json:"AccountId"`
		IdentityType string `json:"IdentityType"`
		Arn          string `json:"Arn"`
		PrincipalId  string `json:"PrincipalId"`
		UserId       string `json:"UserId"`
		RoleId       string `json:"RoleId,omitempty"`
	}
	id := s.account.AccountID
	resp := response{RequestId: c.requestID, AccountId: id}
	switch {
	case c.caller.IsRoot:
		resp.IdentityType = "Account"
		resp.Arn = "acs:ram::" + id + ":root"
		resp.PrincipalId, resp.UserId = id, id
	case c.caller.SecurityToken != "":
		resp.IdentityType = "AssumedRoleUser"
		resp.RoleId = "300000000000000001"
		resp.Arn = "acs:ram::" + id + ":assumed-role/credreport-role/credreport"
		resp.PrincipalId = resp.RoleId + ":credreport"
	default:
		resp.IdentityType = "RAMUser"
		resp.UserId = "200000000000000000"
		resp.Arn = "acs:ram::" + id + ":user/credreport"
		resp.PrincipalId = resp.UserId
	}
	return resp, nil
}
