package ram

import (
	"net/http"

	"github.com/credreport/credreport/internal/fixture"
)

// accessKeyJSON is an AccessKey as ListAccessKeys returns it, without the secret.
type accessKeyJSON struct {
	AccessKeyId string `json:"AccessKeyId"`
	Status      string `json:"Status"`
	CreateDate  string `json:"CreateDate"`
	UpdateDate  string `json:"UpdateDate,omitempty"`
}

// listAccessKeys serves ListAccessKeys. Without UserPrincipalName it lists the
// caller's own keys: the root's keys for a credential marked is_root, and none
// for any other credential, because the fixture does not tie those to a user.
func (s *Server) listAccessKeys(c *call) (any, *apiError) {
	type accessKeys struct {
		AccessKey []accessKeyJSON `json:"AccessKey"`
	}
	type response struct {
		RequestId  string     `json:"RequestId"`
		AccessKeys accessKeys `json:"AccessKeys"`
	}

	var keys []fixture.AccessKey
	if upn := c.param("UserPrincipalName"); upn != "" {
		u, e := s.directory.lookupUser(upn)
		if e != nil {
			return nil, e
		}
		keys = u.user.AccessKeys
	} else if c.caller.IsRoot {
		keys = s.account.Root.AccessKeys
	}

	out := response{RequestId: c.requestID, AccessKeys: accessKeys{AccessKey: make([]accessKeyJSON, 0, len(keys))}}
	for _, k := range keys {
		out.AccessKeys.AccessKey = append(out.AccessKeys.AccessKey, accessKeyJSON{
			AccessKeyId: k.ID,
			Status:      k.Status,
			CreateDate:  formatTime(k.Created),
			UpdateDate:  formatTime(k.Updated),
		})
	}
	return out, nil
}

// getAccessKeyLastUsed serves GetAccessKeyLastUsed. The key must belong to
// the named user, or, without UserPrincipalName, to the caller (the root for
// a credential marked is_root). LastUsedDate is "" for a key never used.
func (s *Server) getAccessKeyLastUsed(c *call) (any, *apiError) {
	type lastUsed struct {
		LastUsedDate string `json:"LastUsedDate"`
	}
	type response struct {
		RequestId         string   `json:"RequestId"`
		AccessKeyLastUsed lastUsed `json:"AccessKeyLastUsed"`
	}

	keyID := c.param("UserAccessKeyId")
	if keyID == "" {
		return nil, errMissingBusinessParameter("UserAccessKeyId")
	}
	var keys []fixture.AccessKey
	owner := "the caller"
	if upn := c.param("UserPrincipalName"); upn != "" {
		u, e := s.directory.lookupUser(upn)
		if e != nil {
			return nil, e
		}
		keys, owner = u.user.AccessKeys, "user "+upn
	} else if c.caller.IsRoot {
		keys = s.account.Root.AccessKeys
	}

	for _, k := range keys {
		if k.ID == keyID {
			return response{RequestId: c.requestID, AccessKeyLastUsed: lastUsed{LastUsedDate: formatTimePtr(k.LastUsed)}}, nil
		}
	}
	return nil, newError(http.StatusNotFound, "EntityNotExist.User.AccessKey",
		"The AccessKey %q of %s does not exist.", keyID, owner)
}
