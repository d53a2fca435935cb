package report

import (
	"bytes"
	"io"
	"strconv"
	"testing"
	"time"
)

// benchUsers returns n users in the mix of a large account: about half
// with a login profile, a third with MFA, zero to three keys.
func benchUsers(n int) []User {
	base := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	users := make([]User, n)
	for i := range users {
		created := base.Add(time.Duration(i) * time.Minute)
		u := User{
			UPN:        "user" + strconv.Itoa(i) + "@big-org.onaliyun.com",
			CreateDate: created,
			MFABound:   i%3 == 0,
		}
		if i%2 == 0 {
			u.LastLoginDate = created.Add(48 * time.Hour)
			u.Profile = &LoginProfile{Active: i%10 != 0, CreateDate: created, UpdateDate: created.Add(time.Hour)}
		}
		for k := range i % 4 {
			u.AccessKeys = append(u.AccessKeys, AccessKey{
				ID:         "LTAI" + strconv.Itoa(i) + "K" + strconv.Itoa(k),
				Active:     k != 1,
				CreateDate: created.Add(time.Duration(3-k) * time.Hour),
				LastUsed:   created.Add(time.Duration(k) * 24 * time.Hour),
			})
		}
		users[i] = u
	}
	return users
}

func benchRows(n int) []Row {
	rows := []Row{PartialRootRow(true, 1)}
	for _, u := range benchUsers(n) {
		rows = append(rows, UserRow(u, PasswordPolicy{MaxPasswordAge: 90}))
	}
	return rows
}

func BenchmarkWrite50000(b *testing.B) {
	rows := benchRows(50000)
	var buf bytes.Buffer
	if err := Write(&buf, rows); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(buf.Len()))
	b.ReportAllocs()
	for b.Loop() {
		if err := Write(io.Discard, rows); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParse50000(b *testing.B) {
	var buf bytes.Buffer
	if err := Write(&buf, benchRows(50000)); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkValidate50000(b *testing.B) {
	var buf bytes.Buffer
	if err := Write(&buf, benchRows(50000)); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, problems := Validate(bytes.NewReader(data)); len(problems) > 0 {
			b.Fatal(problems[0])
		}
	}
}

func BenchmarkUserRow(b *testing.B) {
	users := benchUsers(1000)
	policy := PasswordPolicy{MaxPasswordAge: 90}
	b.ReportAllocs()
	for b.Loop() {
		for _, u := range users {
			UserRow(u, policy)
		}
	}
}
