package ram

import (
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ims"
)

// listAllUsers pages through ListUsers and returns the UPNs in order.
func listAllUsers(t *testing.T, c *ims.Client, status string, pageSize int) ([]string, []*ims.ListUsersResponse) {
	t.Helper()
	var upns []string
	var pages []*ims.ListUsersResponse
	marker := ""
	for {
		req := ims.CreateListUsersRequest()
		req.Scheme = "http"
		req.Status = status
		req.Marker = marker
		if pageSize > 0 {
			req.MaxItems = requests.NewInteger(pageSize)
		}
		resp, err := c.ListUsers(req)
		if err != nil {
			t.Fatalf("ListUsers(Status=%q, Marker=%q): %v", status, marker, err)
		}
		pages = append(pages, resp)
		for _, u := range resp.Users.User {
			upns = append(upns, u.UserPrincipalName)
		}
		if !resp.IsTruncated {
			return upns, pages
		}
		if resp.Marker == "" {
			t.Fatalf("ListUsers page %d is truncated but has no Marker", len(pages))
		}
		marker = resp.Marker
		if len(pages) > 100 {
			t.Fatalf("ListUsers does not end")
		}
	}
}

func upnsOf(names ...string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = n + basicAlias
	}
	return out
}

func TestListUsersValues(t *testing.T) {
	_, ts := startServer(t, loadFixture(t, "basic"), Options{})
	c := imsClient(t, ts, basicKeyID, basicSecret)

	req := ims.CreateListUsersRequest()
	req.Scheme = "http"
	resp, err := c.ListUsers(req)
	if err != nil {
		t.Fatalf("ListUsers: %v", err)
	}
	if resp.IsTruncated {
		t.Errorf("IsTruncated = true for 7 users with the default page of 1000")
	}
	if resp.RequestId == "" {
		t.Errorf("RequestId is empty")
	}
	got := resp.Users.User[0]
	want := ims.User{
		UserPrincipalName: "alice" + basicAlias,
		UserId:            "200000000000000001",
		DisplayName:       "Alice",
		CreateDate:        "2019-11-11T12:33:18Z",
		UpdateDate:        "2019-11-11T12:33:18Z",
		LastLoginDate:     "2026-11-20T09:00:00Z",
		Status:            "active",
		ProvisionType:     "Manual",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("first user = %+v, want %+v", got, want)
	}
	if bob := resp.Users.User[2]; bob.UserPrincipalName != "bob"+basicAlias || bob.LastLoginDate != "" {
		t.Errorf("bob = %+v, want bob with an empty LastLoginDate (never logged on)", bob)
	}
}

func TestListUsersStatusFilter(t *testing.T) {
	_, ts := startServer(t, loadFixture(t, "basic"), Options{})
	c := imsClient(t, ts, basicKeyID, basicSecret)

	active := upnsOf("alice", "deploy-bot", "bob", "carol", "dave", "sso-frank")
	all := upnsOf("alice", "deploy-bot", "bob", "carol", "dave", "erin", "sso-frank")
	tests := []struct {
		status string
		want   []string
	}{
		{"", active},
		{"active", active},
		{"freeze", upnsOf("erin")},
		{"active,freeze", all},
		{"freeze,active", all},
	}
	for _, tt := range tests {
		t.Run("status="+tt.status, func(t *testing.T) {
			got, _ := listAllUsers(t, c, tt.status, 0)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("users = %v, want %v", got, tt.want)
			}
		})
	}

	req := ims.CreateListUsersRequest()
	req.Scheme = "http"
	req.Status = "deleted"
	_, err := c.ListUsers(req)
	wantServerError(t, err, http.StatusBadRequest, "InvalidParameter.Status")
}

func TestListUsersPaging(t *testing.T) {
	_, ts := startServer(t, loadFixture(t, "basic"), Options{})
	c := imsClient(t, ts, basicKeyID, basicSecret)

	got, pages := listAllUsers(t, c, "active,freeze", 2)
	want := upnsOf("alice", "deploy-bot", "bob", "carol", "dave", "erin", "sso-frank")
	if !reflect.DeepEqual(got, want) {
		t.Errorf("paged users = %v, want %v", got, want)
	}
	if len(pages) != 4 {
		t.Fatalf("pages = %d, want 4 (2+2+2+1)", len(pages))
	}
	for i, p := range pages {
		wantTruncated := i < 3
		if p.IsTruncated != wantTruncated {
			t.Errorf("page %d IsTruncated = %v, want %v", i, p.IsTruncated, wantTruncated)
		}
		if !wantTruncated && p.Marker != "" {
			t.Errorf("last page Marker = %q, want empty", p.Marker)
		}
	}

	// A Marker of another Status filter is rejected.
	req := ims.CreateListUsersRequest()
	req.Scheme = "http"
	req.Marker = pages[0].Marker
	req.Status = "freeze"
	_, err := c.ListUsers(req)
	wantServerError(t, err, http.StatusBadRequest, "InvalidParameter.Marker")
}

func TestListUsersMaxItemsRange(t *testing.T) {
	_, ts := startServer(t, loadFixture(t, "basic"), Options{})
	c := imsClient(t, ts, basicKeyID, basicSecret)
	for _, n := range []int{0, 1001, -1} {
		req := ims.CreateListUsersRequest()
		req.Scheme = "http"
		req.MaxItems = requests.NewInteger(n)
		_, err := c.ListUsers(req)
		wantServerError(t, err, http.StatusBadRequest, "InvalidParameter.MaxItems")
	}
	req := ims.CreateListUsersRequest()
	req.Scheme = "http"
	req.MaxItems = requests.NewInteger(1000)
	if _, err := c.ListUsers(req); err != nil {
		t.Errorf("ListUsers(MaxItems=1000): %v", err)
	}
}

func TestGetUserLookups(t *testing.T) {
	_, ts := startServer(t, loadFixture(t, "basic"), Options{})
	c := imsClient(t, ts, basicKeyID, basicSecret)

	tests := []struct {
		name string
		set  func(*ims.GetUserRequest)
	}{
		{"by UPN", func(r *ims.GetUserRequest) { r.UserPrincipalName = "deploy-bot" + basicAlias }},
		{"by user ID", func(r *ims.GetUserRequest) { r.UserId = "200000000000000002" }},
		{"by AccessKey", func(r *ims.GetUserRequest) { r.UserAccessKeyId = "LTAI5tDeployBot0001" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := ims.CreateGetUserRequest()
			req.Scheme = "http"
			tt.set(req)
			resp, err := c.GetUser(req)
			if err != nil {
				t.Fatalf("GetUser: %v", err)
			}
			u := resp.User
			if u.UserPrincipalName != "deploy-bot"+basicAlias || u.UserId != "200000000000000002" ||
				u.DisplayName != "Deploy-Bot" || u.CreateDate != "2020-01-02T03:04:05Z" || u.LastLoginDate != "" {
				t.Errorf("User = %+v, want deploy-bot", u)
			}
		})
	}

	// Unknown users and bad parameter sets.
	req := ims.CreateGetUserRequest()
	req.Scheme = "http"
	req.UserPrincipalName = "nobody" + basicAlias
	_, err := c.GetUser(req)
	wantServerError(t, err, http.StatusNotFound, "EntityNotExist.User")

	req = ims.CreateGetUserRequest()
	req.Scheme = "http"
	_, err = c.GetUser(req)
	wantServerError(t, err, http.StatusBadRequest, "MissingParameter")

	req = ims.CreateGetUserRequest()
	req.Scheme = "http"
	req.UserId = "200000000000000002"
	req.UserPrincipalName = "deploy-bot" + basicAlias
	_, err = c.GetUser(req)
	wantServerError(t, err, http.StatusBadRequest, "InvalidParameter.User")
}

func TestGetLoginProfile(t *testing.T) {
	_, ts := startServer(t, loadFixture(t, "basic"), Options{})
	c := imsClient(t, ts, basicKeyID, basicSecret)

	req := ims.CreateGetLoginProfileRequest()
	req.Scheme = "http"
	req.UserPrincipalName = "alice" + basicAlias
	resp, err := c.GetLoginProfile(req)
	if err != nil {
		t.Fatalf("GetLoginProfile: %v", err)
	}
	want := ims.LoginProfile{
		UserPrincipalName:     "alice" + basicAlias,
		Status:                "Active",
		UpdateDate:            "2025-10-01T10:00:00Z",
		MFABindRequired:       true,
		PasswordResetRequired: false,
		LastLoginTime:         "2026-11-20T09:00:00Z",
	}
	if !reflect.DeepEqual(resp.LoginProfile, want) {
		t.Errorf("LoginProfile = %+v, want %+v", resp.LoginProfile, want)
	}

	// dave's profile is Inactive.
	req.UserPrincipalName = "dave" + basicAlias
	resp, err = c.GetLoginProfile(req)
	if err != nil {
		t.Fatalf("GetLoginProfile(dave): %v", err)
	}
	if resp.LoginProfile.Status != "Inactive" || resp.LoginProfile.UpdateDate != "2024-06-01T12:00:00Z" {
		t.Errorf("dave LoginProfile = %+v, want Inactive updated 2024-06-01T12:00:00Z", resp.LoginProfile)
	}

	req.UserPrincipalName = "deploy-bot" + basicAlias
	_, err = c.GetLoginProfile(req)
	wantServerError(t, err, http.StatusNotFound, "EntityNotExist.User.LoginProfile")

	// The SDK keeps a parameter once sent, so each case needs a new request.
	req = ims.CreateGetLoginProfileRequest()
	req.Scheme = "http"
	_, err = c.GetLoginProfile(req)
	wantServerError(t, err, http.StatusBadRequest, "MissingUserPrincipalName")

	req = ims.CreateGetLoginProfileRequest()
	req.Scheme = "http"
	req.UserPrincipalName = "ghost" + basicAlias
	_, err = c.GetLoginProfile(req)
	wantServerError(t, err, http.StatusNotFound, "EntityNotExist.User")
}

func TestParseStatusFilter(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		wantErr bool
	}{
		{"", listActive, false},
		{"active", listActive, false},
		{"freeze", listFreeze, false},
		{"active,freeze", listAll, false},
		{"freeze, active", listAll, false},
		{"Active", "", true},
		{"active,gone", "", true},
	}
	for _, tt := range tests {
		got, e := parseStatusFilter(tt.in)
		if (e != nil) != tt.wantErr || got != tt.want {
			t.Errorf("parseStatusFilter(%q) = %q, %v; want %q, error %v", tt.in, got, e, tt.want, tt.wantErr)
		}
	}
}

func TestFormatTimeUTC(t *testing.T) {
	at := time.Date(2026, 12, 4, 15, 4, 5, 999, time.FixedZone("CST", 8*3600))
	if got := formatTime(at); got != "2026-12-04T07:04:05Z" {
		t.Errorf("formatTime = %q, want 2026-12-04T07:04:05Z", got)
	}
	if got := formatTime(time.Time{}); got != "" {
		t.Errorf("formatTime(zero) = %q, want empty", got)
	}
}
