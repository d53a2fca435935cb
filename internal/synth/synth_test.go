package synth

import (
	"bytes"
	"testing"

	"github.com/credreport/credreport/internal/fixture"
)

func TestAccountDeterministicAndValid(t *testing.T) {
	a := Account(2000, 7)
	b := Account(2000, 7)
	var bufA, bufB bytes.Buffer
	if err := fixture.Write(&bufA, a); err != nil {
		t.Fatal(err)
	}
	if err := fixture.Write(&bufB, b); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(bufA.Bytes(), bufB.Bytes()) {
		t.Fatalf("same seed gave different accounts")
	}
	parsed, err := fixture.Parse(bufA.Bytes())
	if err != nil {
		t.Fatalf("synthetic account does not parse as a fixture: %v", err)
	}
	if len(parsed.Users) != 2000 {
		t.Errorf("users = %d, want 2000", len(parsed.Users))
	}
	c := Account(2000, 8)
	var bufC bytes.Buffer
	_ = fixture.Write(&bufC, c)
	if bytes.Equal(bufA.Bytes(), bufC.Bytes()) {
		t.Errorf("different seeds gave the same account")
	}
}

func TestAccountMix(t *testing.T) {
	a := Account(10000, 1)
	var console, vmfa, u2f, frozen, keys, unused int
	for _, u := range a.Users {
		if u.LoginProfile != nil {
			console++
		}
		if u.MFA != nil && u.MFA.Type == fixture.MFATypeVirtual {
			vmfa++
		}
		if u.MFA != nil && u.MFA.Type == fixture.MFATypeU2F {
			u2f++
		}
		if u.Status == fixture.StatusFreeze {
			frozen++
		}
		for _, k := range u.AccessKeys {
			keys++
			if k.LastUsed == nil {
				unused++
			}
		}
	}
	within := func(name string, got, lo, hi int) {
		t.Helper()
		if got < lo || got > hi {
			t.Errorf("%s = %d, want %d..%d", name, got, lo, hi)
		}
	}
	within("console users", console, 5700, 6300)
	within("virtual MFA users", vmfa, 1700, 2300)
	within("U2F users", u2f, 120, 280)
	within("frozen users", frozen, 200, 400)
	within("keys", keys, 9500, 10500)
	within("unused keys", unused, 2200, 2800)
}

func BenchmarkParse50k(b *testing.B) {
	var buf bytes.Buffer
	if err := fixture.Write(&buf, Account(50000, 1)); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(buf.Len()))
	for b.Loop() {
		if _, err := fixture.Parse(buf.Bytes()); err != nil {
			b.Fatal(err)
		}
	}
}
