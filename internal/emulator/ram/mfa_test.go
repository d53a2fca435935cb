package ram

import (
	"net/http"
	"reflect"
	"testing"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/ims"
)

func TestGetUserMFAInfo(t *testing.T) {
	_, ts := startServer(t, loadFixture(t, "basic"), Options{})
	c := imsClient(t, ts, basicKeyID, basicSecret)

	tests := []struct {
		user       string
		wantSerial string
		wantType   string
	}{
		{"alice", "acs:ram::5123456789012345:mfa/alice", "VMFA"},
		{"dave", "acs:ram::5123456789012345:mfa/dave", "U2F"},
	}
	for _, tt := range tests {
		req := ims.CreateGetUserMFAInfoRequest()
		req.Scheme = "http"
		req.UserPrincipalName = tt.user + basicAlias
		resp, err := c.GetUserMFAInfo(req)
		if err != nil {
			t.Fatalf("GetUserMFAInfo(%s): %v", tt.user, err)
		}
		if !resp.IsMFAEnable || resp.MFADevice.SerialNumber != tt.wantSerial || resp.MFADevice.Type != tt.wantType {
			t.Errorf("%s: IsMFAEnable=%v MFADevice=%+v, want true %s %s", tt.user, resp.IsMFAEnable, resp.MFADevice, tt.wantSerial, tt.wantType)
		}
	}

	req := ims.CreateGetUserMFAInfoRequest()
	req.Scheme = "http"
	req.UserPrincipalName = "bob" + basicAlias
	_, err := c.GetUserMFAInfo(req)
	wantServerError(t, err, http.StatusNotFound, "EntityNotExist.User.MFADevice")

	req = ims.CreateGetUserMFAInfoRequest()
	req.Scheme = "http"
	_, err = c.GetUserMFAInfo(req)
	wantServerError(t, err, http.StatusBadRequest, "MissingUserPrincipalName")
}

func TestListVirtualMFADevices(t *testing.T) {
	_, ts := startServer(t, loadFixture(t, "basic"), Options{})
	c := imsClient(t, ts, basicKeyID, basicSecret)

	// One device per page exercises paging. Dave's U2F key is not listed.
	var got []ims.VirtualMFADevice
	marker := ""
	for page := 0; ; page++ {
		req := ims.CreateListVirtualMFADevicesRequest()
		req.Scheme = "http"
		req.MaxItems = requests.NewInteger(1)
		req.Marker = marker
		resp, err := c.ListVirtualMFADevices(req)
		if err != nil {
			t.Fatalf("ListVirtualMFADevices page %d: %v", page, err)
		}
		got = append(got, resp.VirtualMFADevices.VirtualMFADevice...)
		if !resp.IsTruncated {
			break
		}
		if page > 10 || resp.Marker == "" {
			t.Fatalf("page %d: IsTruncated with Marker %q does not end", page, resp.Marker)
		}
		marker = resp.Marker
	}
	want := []ims.VirtualMFADevice{
		{
			SerialNumber: "acs:ram::5123456789012345:mfa/alice",
			ActivateDate: "2019-11-11T12:50:00Z",
			User:         ims.User{UserPrincipalName: "alice" + basicAlias, UserId: "200000000000000001", DisplayName: "Alice"},
		},
		{
			SerialNumber: "acs:ram::5123456789012345:mfa/sso-frank",
			ActivateDate: "2024-09-10T11:20:00Z",
			User:         ims.User{UserPrincipalName: "sso-frank" + basicAlias, UserId: "200000000000000007", DisplayName: "Sso-Frank"},
		},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("devices = %+v, want %+v", got, want)
	}

	for _, n := range []int{0, 101} {
		req := ims.CreateListVirtualMFADevicesRequest()
		req.Scheme = "http"
		req.MaxItems = requests.NewInteger(n)
		_, err := c.ListVirtualMFADevices(req)
		wantServerError(t, err, http.StatusBadRequest, "InvalidParameter.MaxItems")
	}
}
