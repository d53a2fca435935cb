package ram

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ims"

	"github.com/credreport/credreport/internal/fixture"
)

func TestCallsCountEveryRequest(t *testing.T) {
	s, ts := startServer(t, loadFixture(t, "basic"), Options{})
	good := imsClient(t, ts, basicKeyID, basicSecret)
	bad := imsClient(t, ts, basicKeyID, "wrong-secret")

	for i := 0; i < 3; i++ {
		if _, err := good.ListUsers(ims.CreateListUsersRequest()); err != nil {
			t.Fatalf("ListUsers: %v", err)
		}
	}
	_, _ = bad.ListUsers(ims.CreateListUsersRequest())
	_, _ = good.GetUserMFAInfo(ims.CreateGetUserMFAInfoRequest()) // missing UserPrincipalName

	p := rpcParams(basicKeyID, "NoSuchAction", time.Now())
	signRPC(http.MethodPost, p, basicSecret)
	doRPC(t, ts, http.MethodPost, p, false)

	want := map[string]int{"ListUsers": 4, "GetUserMFAInfo": 1, "NoSuchAction": 1}
	got := s.Calls()
	if len(got) != len(want) {
		t.Errorf("Calls = %v, want %v", got, want)
	}
	for action, n := range want {
		if got[action] != n {
			t.Errorf("Calls[%s] = %d, want %d", action, got[action], n)
		}
	}
	if st := s.Stats(); st.Requests != 6 || st.AuthFailures != 1 {
		t.Errorf("Stats = %+v, want 6 requests and 1 auth failure", st)
	}

	// Calls returns a copy.
	got["ListUsers"] = 100
	if s.Calls()["ListUsers"] != 4 {
		t.Errorf("changing the map from Calls changed the server's counts")
	}
}

func TestRequestShapeRejections(t *testing.T) {
	_, ts := startServer(t, loadFixture(t, "basic"), Options{})

	signed := func() url.Values {
		p := rpcParams(basicKeyID, "ListUsers", time.Now())
		signRPC(http.MethodPost, p, basicSecret)
		v := url.Values{}
		for k, val := range p {
			v.Set(k, val)
		}
		return v
	}
	tests := []struct {
		name   string
		build  func() *http.Request
		status int
		code   string
	}{
		{"other path", func() *http.Request {
			r, _ := http.NewRequest(http.MethodPost, ts.URL+"/v1/users?"+signed().Encode(), nil)
			return r
		}, http.StatusNotFound, "InvalidApi.NotFound"},
		{"PUT", func() *http.Request {
			r, _ := http.NewRequest(http.MethodPut, ts.URL+"/?"+signed().Encode(), nil)
			return r
		}, http.StatusMethodNotAllowed, "UnsupportedHTTPMethod"},
		{"parameter twice", func() *http.Request {
			v := signed()
			v.Add("MaxItems", "1")
			v.Add("MaxItems", "2")
			r, _ := http.NewRequest(http.MethodPost, ts.URL+"/?"+v.Encode(), nil)
			return r
		}, http.StatusBadRequest, "InvalidParameter.Duplicate"},
		{"parameter in query and body", func() *http.Request {
			v := signed()
			r, _ := http.NewRequest(http.MethodPost, ts.URL+"/?"+v.Encode(), strings.NewReader("Action=ListUsers"))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			return r
		}, http.StatusBadRequest, "InvalidParameter.Duplicate"},
		{"JSON body", func() *http.Request {
			r, _ := http.NewRequest(http.MethodPost, ts.URL+"/?"+signed().Encode(), strings.NewReader(`{"MaxItems":1}`))
			r.Header.Set("Content-Type", "application/json")
			return r
		}, http.StatusBadRequest, "InvalidParameter.Body"},
		{"no signature at all", func() *http.Request {
			r, _ := http.NewRequest(http.MethodPost, ts.URL+"/?Action=ListUsers&Version=2019-08-15", nil)
			return r
		}, http.StatusBadRequest, "IncompleteSignature"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantRawError(t, send(t, tt.build()), tt.status, tt.code)
		})
	}
}

func TestSkipTimestampCheckKeepsFormat(t *testing.T) {
	clock := newFakeClock(time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC))
	_, ts := startServer(t, loadFixture(t, "basic"), Options{Now: clock.Now, SkipTimestampCheck: true})

	p := rpcParams(basicKeyID, "GetAccountMFAInfo", time.Now())
	signRPC(http.MethodPost, p, basicSecret)
	if got := doRPC(t, ts, http.MethodPost, p, false); got.status != http.StatusOK {
		t.Errorf("wall-clock timestamp against a 2020 clock: %d %v", got.status, got.body)
	}

	p = rpcParams(basicKeyID, "GetAccountMFAInfo", time.Now())
	p["Timestamp"] = "yesterday"
	signRPC(http.MethodPost, p, basicSecret)
	wantRawError(t, doRPC(t, ts, http.MethodPost, p, false), http.StatusBadRequest, "InvalidTimeStamp.Format")
}

func TestNewRejectsAmbiguousUsers(t *testing.T) {
	a := loadFixture(t, "basic")
	a.Users[1].UPN = a.UserPrincipalName(&a.Users[0])
	if _, err := New(a, Options{}); err == nil || !strings.Contains(err.Error(), "same user principal name") {
		t.Errorf("duplicate UPN: err = %v", err)
	}

	a = loadFixture(t, "basic")
	a.Users[1].UserID = a.Users[0].UserID
	if _, err := New(a, Options{}); err == nil || !strings.Contains(err.Error(), "same user_id") {
		t.Errorf("duplicate user ID: err = %v", err)
	}
}

func TestConcurrentRequests(t *testing.T) {
	s, ts := startServer(t, loadFixture(t, "basic"), Options{})

	// One v1 SDK client per goroutine: the SDK client itself is not safe for
	// concurrent use (DoAction writes its http.Client timeout on every request).
	const workers = 200
	clients := make([]*ims.Client, workers)
	for i := range clients {
		clients[i] = imsClient(t, ts, basicKeyID, basicSecret)
	}
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			c := clients[i]
			var err error
			switch i % 4 {
			case 0:
				_, err = c.ListUsers(ims.CreateListUsersRequest())
			case 1:
				r := ims.CreateGetUserMFAInfoRequest()
				r.UserPrincipalName = "alice" + basicAlias
				_, err = c.GetUserMFAInfo(r)
			case 2:
				_, err = c.GenerateCredentialReport(ims.CreateGenerateCredentialReportRequest())
			default:
				r := ims.CreateListVirtualMFADevicesRequest()
				r.MaxItems = requests.NewInteger(1)
				_, err = c.ListVirtualMFADevices(r)
			}
			if err != nil {
				errs <- fmt.Errorf("worker %d: %w", i, err)
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := s.Stats().Requests; got != workers {
		t.Errorf("Stats.Requests = %d, want %d", got, workers)
	}
}

// syntheticAccount makes an account of n users, every third frozen and every
// second with a virtual MFA device and two AccessKeys.
func syntheticAccount(n int) *fixture.Account {
	created := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	a := &fixture.Account{
		AccountID:    "5123456789000000",
		AccountAlias: "large",
		Credentials:  []fixture.Credential{{AccessKeyID: "LTAI5tLargeKey", AccessKeySecret: "large-secret"}},
		Users:        make([]fixture.User, n),
	}
	for i := range a.Users {
		u := &a.Users[i]
		u.Name = fmt.Sprintf("user%06d", i)
		u.UserID = fmt.Sprintf("3%017d", i)
		u.DisplayName = u.Name
		u.Created, u.Updated = created, created
		u.Status = fixture.StatusActive
		if i%3 == 2 {
			u.Status = fixture.StatusFreeze
		}
		if i%2 == 0 {
			u.MFA = &fixture.MFADevice{SerialNumber: "acs:ram::5123456789000000:mfa/" + u.Name, Type: fixture.MFATypeVirtual}
			for k := 0; k < 2; k++ {
				u.AccessKeys = append(u.AccessKeys, fixture.AccessKey{
					ID: fmt.Sprintf("LTAI5tK%07d%d", i, k), Status: "Active", Created: created, Updated: created,
				})
			}
		}
	}
	return a
}

func TestLargeAccount(t *testing.T) {
	const n = 50000
	a := syntheticAccount(n)
	_, ts := startServer(t, a, Options{})
	c := imsClient(t, ts, "LTAI5tLargeKey", "large-secret")

	// The last page of all users, reached through a Marker.
	req := ims.CreateListUsersRequest()
	req.Status = "active,freeze"
	req.MaxItems = requests.NewInteger(1000)
	resp, err := c.ListUsers(req)
	if err != nil {
		t.Fatalf("ListUsers: %v", err)
	}
	pages := 1
	for resp.IsTruncated {
		next := ims.CreateListUsersRequest()
		next.Status = "active,freeze"
		next.MaxItems = requests.NewInteger(1000)
		next.Marker = resp.Marker
		if resp, err = c.ListUsers(next); err != nil {
			t.Fatalf("ListUsers page %d: %v", pages+1, err)
		}
		pages++
	}
	if pages != n/1000 {
		t.Errorf("pages = %d, want %d", pages, n/1000)
	}
	last := resp.Users.User[len(resp.Users.User)-1]
	if last.UserPrincipalName != fmt.Sprintf("user%06d@large.onaliyun.com", n-1) {
		t.Errorf("last user = %s", last.UserPrincipalName)
	}

	// Lookups of the last user by each key.
	get := ims.CreateGetUserRequest()
	get.UserAccessKeyId = fmt.Sprintf("LTAI5tK%07d1", n-2)
	u, err := c.GetUser(get)
	if err != nil || u.User.UserId != fmt.Sprintf("3%017d", n-2) {
		t.Errorf("GetUser by AccessKey: %v, %+v", err, u.User)
	}
}

func BenchmarkNew50000Users(b *testing.B) {
	a := syntheticAccount(50000)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := New(a, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkListUsersLastPage50000Users(b *testing.B) {
	s, err := New(syntheticAccount(50000), Options{})
	if err != nil {
		b.Fatal(err)
	}
	c := &call{params: map[string]string{"Status": "active,freeze", "MaxItems": "1000", "Marker": formatMarker("users/"+listAll, 49000)}}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, e := s.listUsers(c); e != nil {
			b.Fatal(e.message)
		}
	}
}

func BenchmarkServeGetUser(b *testing.B) {
	s, err := New(syntheticAccount(50000), Options{SkipTimestampCheck: true})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p := rpcParams("LTAI5tLargeKey", "GetUser", time.Now())
		p["UserPrincipalName"] = "user049999@large.onaliyun.com"
		signRPC(http.MethodPost, p, "large-secret")
		v := url.Values{}
		for k, val := range p {
			v.Set(k, val)
		}
		w := httptest.NewRecorder()
		s.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/?"+v.Encode(), nil))
		if w.Code != http.StatusOK {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
}
