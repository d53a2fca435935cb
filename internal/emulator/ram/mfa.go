package ram

import (
	"net/http"
)

// Page sizes of ListVirtualMFADevices: MaxItems 1..100, default 100.
const (
	defaultMFAPage = 100
	maxMFAPage     = 100
)

// getUserMFAInfo serves GetUserMFAInfo: the user's MFA device of either type.
func (s *Server) getUserMFAInfo(c *call) (any, *apiError) {
	type mfaDevice struct {
		SerialNumber string `json:"SerialNumber"`
		Type         string `json:"Type"`
	}
	type response struct {
		RequestId   string    `json:"RequestId"`
		IsMFAEnable bool      `json:"IsMFAEnable"`
		MFADevice   mfaDevice `json:"MFADevice"`
	}

	upn := c.param("UserPrincipalName")
	if upn == "" {
		return nil, errMissingBusinessParameter("UserPrincipalName")
	}
	u, e := s.directory.lookupUser(upn)
	if e != nil {
		return nil, e
	}
	m := u.user.MFA
	if m == nil {
		return nil, newError(http.StatusNotFound, "EntityNotExist.User.MFADevice",
			"The user %q has not bound any MFA device.", upn)
	}
	return response{
		RequestId:   c.requestID,
		IsMFAEnable: true,
		MFADevice:   mfaDevice{SerialNumber: m.SerialNumber, Type: m.Type},
	}, nil
}

// listVirtualMFADevices serves ListVirtualMFADevices: a page of the virtual
// MFA devices bound to users. U2F devices are not virtual and are not listed.
func (s *Server) listVirtualMFADevices(c *call) (any, *apiError) {
	type deviceUser struct {
		UserPrincipalName string `json:"UserPrincipalName"`
		UserId            string `json:"UserId"`
		DisplayName       string `json:"DisplayName"`
	}
	type device struct {
		SerialNumber string     `json:"SerialNumber"`
		ActivateDate string     `json:"ActivateDate,omitempty"`
		User         deviceUser `json:"User"`
	}
	type devices struct {
		VirtualMFADevice []device `json:"VirtualMFADevice"`
	}
	type response struct {
		RequestId         string  `json:"RequestId"`
		IsTruncated       bool    `json:"IsTruncated"`
		Marker            string  `json:"Marker,omitempty"`
		VirtualMFADevices devices `json:"VirtualMFADevices"`
	}

	pageSize, e := parseMaxItems(c.param("MaxItems"), defaultMFAPage, maxMFAPage)
	if e != nil {
		return nil, e
	}
	list := s.directory.vmfa
	start, e := parseMarker(c.param("Marker"), "vmfa", len(list))
	if e != nil {
		return nil, e
	}

	end := min(start+pageSize, len(list))
	out := response{RequestId: c.requestID, VirtualMFADevices: devices{VirtualMFADevice: make([]device, 0, end-start)}}
	for _, u := range list[start:end] {
		out.VirtualMFADevices.VirtualMFADevice = append(out.VirtualMFADevices.VirtualMFADevice, device{
			SerialNumber: u.user.MFA.SerialNumber,
			ActivateDate: formatTimePtr(u.user.MFA.Activated),
			User:         deviceUser{UserPrincipalName: u.upn, UserId: u.user.UserID, DisplayName: u.user.DisplayName},
		})
	}
	if end < len(list) {
		out.IsTruncated = true
		out.Marker = formatMarker("vmfa", end)
	}
	return out, nil
}
