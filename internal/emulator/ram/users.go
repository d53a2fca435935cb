package ram

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/credreport/credreport/internal/fixture"
)

// Page sizes of ListUsers: MaxItems 1..1000, default 1000.
const (
	defaultUsersPage = 1000
	maxUsersPage     = 1000
)

// Status filters of ListUsers, as list names. An empty Status means active users only.
const (
	listActive = fixture.StatusActive
	listFreeze = fixture.StatusFreeze
	listAll    = fixture.StatusActive + "," + fixture.StatusFreeze
)

// directory indexes the users and AccessKeys of an account.
type directory struct {
	users []*userEntry // fixture order
	byUPN map[string]*userEntry
	byID  map[string]*userEntry
	// lists are the users that ListUsers returns for each Status filter, in fixture order.
	lists map[string][]*userEntry

	keyOwners map[string]*userEntry // AccessKey ID of a RAM user to its owner
	rootKeys  map[string]*fixture.AccessKey
	// vmfa are the users with a virtual MFA device, the only kind ListVirtualMFADevices lists.
	vmfa []*userEntry

	practice practiceIndex
}

// userEntry is one RAM user with everything the API returns about it prepared.
type userEntry struct {
	user     *fixture.User
	upn      string
	vanished bool // listed by ListUsers, but per-user calls return EntityNotExist.User
	json     userJSON
}

// userJSON is a user as ListUsers and GetUser return it.
type userJSON struct {
	UserPrincipalName string `json:"UserPrincipalName"`
	UserId            string `json:"UserId"`
	DisplayName       string `json:"DisplayName"`
	CreateDate        string `json:"CreateDate"`
	UpdateDate        string `json:"UpdateDate,omitempty"`
	LastLoginDate     string `json:"LastLoginDate,omitempty"` // absent when the user never logged on
	Status            string `json:"Status"`
	ProvisionType     string `json:"ProvisionType"`
}

// newDirectory indexes the users of a. It rejects two users with one user
// principal name or one user ID, because lookups by either would be ambiguous.
func newDirectory(a *fixture.Account) (*directory, error) {
	d := &directory{
		users:     make([]*userEntry, 0, len(a.Users)),
		byUPN:     make(map[string]*userEntry, len(a.Users)),
		byID:      make(map[string]*userEntry, len(a.Users)),
		lists:     make(map[string][]*userEntry, 3),
		keyOwners: make(map[string]*userEntry),
		rootKeys:  make(map[string]*fixture.AccessKey, len(a.Root.AccessKeys)),
	}
	vanish := make(map[string]bool, len(a.Faults.VanishUsers))
	for _, name := range a.Faults.VanishUsers {
		vanish[name] = true
	}

	for i := range a.Users {
		u := &a.Users[i]
		e := &userEntry{user: u, upn: a.UserPrincipalName(u), vanished: vanish[u.Name]}
		e.json = userJSON{
			UserPrincipalName: e.upn,
			UserId:            u.UserID,
			DisplayName:       u.DisplayName,
			CreateDate:        formatTime(u.Created),
			UpdateDate:        formatTime(u.Updated),
			LastLoginDate:     formatTimePtr(u.LastLogin),
			Status:            u.Status,
			ProvisionType:     "Manual",
		}
		if other, dup := d.byUPN[e.upn]; dup {
			return nil, fmt.Errorf("users %q and %q have the same user principal name %q: give one an explicit upn",
				other.user.Name, u.Name, e.upn)
		}
		d.byUPN[e.upn] = e
		if u.UserID != "" {
			if other, dup := d.byID[u.UserID]; dup {
				return nil, fmt.Errorf("users %q and %q have the same user_id %q", other.user.Name, u.Name, u.UserID)
			}
			d.byID[u.UserID] = e
		}

		d.users = append(d.users, e)
		d.lists[listAll] = append(d.lists[listAll], e)
		d.lists[u.Status] = append(d.lists[u.Status], e)
		for k := range u.AccessKeys {
			d.keyOwners[u.AccessKeys[k].ID] = e
		}
		if u.MFA != nil && u.MFA.Type == fixture.MFATypeVirtual {
			d.vmfa = append(d.vmfa, e)
		}
	}
	for i := range a.Root.AccessKeys {
		k := &a.Root.AccessKeys[i]
		d.rootKeys[k.ID] = k
	}
	d.practice = newPracticeIndex(a)
	return d, nil
}

// lookupUser finds a user by user principal name for a per-user call. Unknown
// and vanished users both return EntityNotExist.User.
func (d *directory) lookupUser(upn string) (*userEntry, *apiError) {
	e, ok := d.byUPN[upn]
	if !ok || e.vanished {
		return nil, errUserNotFound("user principal name", upn)
	}
	return e, nil
}

// listUsers serves ListUsers: a page of users with the requested statuses.
func (s *Server) listUsers(c *call) (any, *apiError) {
	type users struct {
		User []userJSON `json:"User"`
	}
	type response struct {
		RequestId   string `json:"RequestId"`
		IsTruncated bool   `json:"IsTruncated"`
		Marker      string `json:"Marker,omitempty"`
		Users       users  `json:"Users"`
	}

	listName, e := parseStatusFilter(c.param("Status"))
	if e != nil {
		return nil, e
	}
	pageSize, e := parseMaxItems(c.param("MaxItems"), defaultUsersPage, maxUsersPage)
	if e != nil {
		return nil, e
	}
	list := s.directory.lists[listName]
	if hasTagFilter(c.params) {
		// No fixture user has tags, so a tag filter matches no user.
		list = nil
	}
	start, e := parseMarker(c.param("Marker"), "users/"+listName, len(list))
	if e != nil {
		return nil, e
	}

	end := min(start+pageSize, len(list))
	out := response{RequestId: c.requestID, Users: users{User: make([]userJSON, 0, end-start)}}
	for _, u := range list[start:end] {
		out.Users.User = append(out.Users.User, u.json)
	}
	if end < len(list) {
		out.IsTruncated = true
		out.Marker = formatMarker("users/"+listName, end)
	}
	return out, nil
}

// getUser serves GetUser, which names the user by exactly one of
// UserPrincipalName, UserId or UserAccessKeyId.
func (s *Server) getUser(c *call) (any, *apiError) {
	type response struct {
		RequestId string   `json:"RequestId"`
		User      userJSON `json:"User"`
	}

	upn, id, keyID := c.param("UserPrincipalName"), c.param("UserId"), c.param("UserAccessKeyId")
	lookups := 0
	for _, v := range []string{upn, id, keyID} {
		if v != "" {
			lookups++
		}
	}
	if lookups == 0 {
		return nil, newError(http.StatusBadRequest, "MissingParameter",
			"GetUser needs one of the parameters UserPrincipalName, UserId or UserAccessKeyId.")
	}
	if lookups > 1 {
		return nil, errInvalidParameter("User",
			"GetUser takes exactly one of UserPrincipalName, UserId and UserAccessKeyId, but %d were given.", lookups)
	}

	var u *userEntry
	switch {
	case upn != "":
		u = s.directory.byUPN[upn]
		if u == nil || u.vanished {
			return nil, errUserNotFound("user principal name", upn)
		}
	case id != "":
		u = s.directory.byID[id]
		if u == nil || u.vanished {
			return nil, errUserNotFound("user ID", id)
		}
	default:
		u = s.directory.keyOwners[keyID]
		if u == nil || u.vanished {
			return nil, errUserNotFound("AccessKey", keyID)
		}
	}
	return response{RequestId: c.requestID, User: u.json}, nil
}

// getLoginProfile serves GetLoginProfile.
func (s *Server) getLoginProfile(c *call) (any, *apiError) {
	type loginProfile struct {
		UserPrincipalName     string `json:"UserPrincipalName"`
		Status                string `json:"Status"`
		UpdateDate            string `json:"UpdateDate,omitempty"`
		MFABindRequired       bool   `json:"MFABindRequired"`
		PasswordResetRequired bool   `json:"PasswordResetRequired"`
		LastLoginTime         string `json:"LastLoginTime,omitempty"` // absent when the user never logged on
	}
	type response struct {
		RequestId    string       `json:"RequestId"`
		LoginProfile loginProfile `json:"LoginProfile"`
	}

	upn := c.param("UserPrincipalName")
	if upn == "" {
		return nil, errMissingBusinessParameter("UserPrincipalName")
	}
	u, e := s.directory.lookupUser(upn)
	if e != nil {
		return nil, e
	}
	p := u.user.LoginProfile
	if p == nil {
		return nil, newError(http.StatusNotFound, "EntityNotExist.User.LoginProfile",
			"The user %q has no login profile.", upn)
	}
	return response{RequestId: c.requestID, LoginProfile: loginProfile{
		UserPrincipalName:     u.upn,
		Status:                p.Status,
		UpdateDate:            formatTime(p.Updated),
		MFABindRequired:       p.MFABindRequired,
		PasswordResetRequired: p.PasswordResetRequired,
		LastLoginTime:         formatTimePtr(u.user.LastLogin),
	}}, nil
}

// parseStatusFilter maps the Status parameter of ListUsers to a list name:
// empty means active users only, and "active,freeze" (in any order) means all.
func parseStatusFilter(status string) (string, *apiError) {
	if status == "" {
		return listActive, nil
	}
	var active, freeze bool
	for _, part := range strings.Split(status, ",") {
		switch strings.TrimSpace(part) {
		case fixture.StatusActive:
			active = true
		case fixture.StatusFreeze:
			freeze = true
		default:
			return "", errInvalidParameter("Status",
				"Status %q is not valid: use active, freeze or active,freeze.", status)
		}
	}
	switch {
	case active && freeze:
		return listAll, nil
	case freeze:
		return listFreeze, nil
	default:
		return listActive, nil
	}
}

// hasTagFilter reports whether a ListUsers request filters by tag (Tag.N.Key).
func hasTagFilter(params map[string]string) bool {
	for name, value := range params {
		if strings.HasPrefix(name, "Tag.") && value != "" {
			return true
		}
	}
	return false
}

// parseMaxItems reads a MaxItems parameter: empty means def, otherwise a whole
// number from 1 to limit.
func parseMaxItems(value string, def, limit int) (int, *apiError) {
	if value == "" {
		return def, nil
	}
	n, err := strconv.Atoi(value)
	if err != nil || n < 1 || n > limit {
		return 0, errInvalidParameter("MaxItems", "MaxItems %q is not valid: use a whole number from 1 to %d.", value, limit)
	}
	return n, nil
}

// formatMarker makes the opaque Marker of a list page: the list name and the
// offset of the next item.
func formatMarker(list string, offset int) string {
	return base64.RawURLEncoding.EncodeToString([]byte(list + "@" + strconv.Itoa(offset)))
}

// parseMarker returns the offset a Marker points at; an empty Marker is the
// start. A Marker of another list or outside the list is rejected.
func parseMarker(marker, list string, length int) (int, *apiError) {
	if marker == "" {
		return 0, nil
	}
	invalid := errInvalidParameter("Marker",
		"Marker %q was not returned by this listing: pass the Marker of the previous page, with the same filters.", marker)
	raw, err := base64.RawURLEncoding.DecodeString(marker)
	if err != nil {
		return 0, invalid
	}
	name, offsetText, ok := strings.Cut(string(raw), "@")
	if !ok || name != list {
		return 0, invalid
	}
	offset, err := strconv.Atoi(offsetText)
	if err != nil || offset < 1 || offset >= length {
		return 0, invalid
	}
	return offset, nil
}

// formatTime formats t as IMS does (UTC, seconds); the zero time is "".
func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(timeLayout)
}

func formatTimePtr(t *time.Time) string {
	if t == nil {
		return ""
	}
	return formatTime(*t)
}
