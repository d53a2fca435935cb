package report

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/credreport/credreport/internal/fixture"
)

// fixtureDirs returns the acceptance fixture folders: from ../shared/fixtures
// beside the repository when it exists, else from the copy under testdata.
func fixtureDirs(t testing.TB) []string {
	t.Helper()
	root, err := fixture.AcceptanceRoot("../..")
	if err != nil {
		t.Fatal(err)
	}
	dirs, _ := filepath.Glob(filepath.Join(root, "*", "account.json"))
	for i := range dirs {
		dirs[i] = filepath.Dir(dirs[i])
	}
	return dirs
}

// fixtureCSVs returns every CSV file of the acceptance fixtures.
func fixtureCSVs(t testing.TB) []string {
	t.Helper()
	var files []string
	for _, dir := range fixtureDirs(t) {
		matches, err := filepath.Glob(filepath.Join(dir, "*.csv"))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, matches...)
	}
	if len(files) == 0 {
		t.Fatal("no CSV files in the acceptance fixtures")
	}
	return files
}

// apiUsers converts the fixture's users to the API view the account reader
// produces, leaving out users that vanish during a build.
func apiUsers(a *fixture.Account) []User {
	var users []User
	for i := range a.Users {
		fu := &a.Users[i]
		if slices.Contains(a.Faults.VanishUsers, fu.Name) {
			continue
		}
		u := User{
			UPN:        a.UserPrincipalName(fu),
			CreateDate: fu.Created,
			MFABound:   fu.MFA != nil,
			AccessKeys: apiKeys(fu.AccessKeys),
		}
		if fu.LastLogin != nil {
			u.LastLoginDate = *fu.LastLogin
		}
		if p := fu.LoginProfile; p != nil {
			// The API shows the profile's UpdateDate, never the true
			// password change time that only the native report has.
			u.Profile = &LoginProfile{
				Active:     p.Status == "Active",
				CreateDate: p.Created,
				UpdateDate: p.Updated,
			}
		}
		users = append(users, u)
	}
	return users
}

func apiKeys(keys []fixture.AccessKey) []AccessKey {
	var out []AccessKey
	for _, k := range keys {
		key := AccessKey{ID: k.ID, Active: k.Status == "Active", CreateDate: k.Created}
		if k.LastUsed != nil {
			key.LastUsed = *k.LastUsed
		}
		out = append(out, key)
	}
	return out
}

// buildRows builds the rows of a fixture's report as the builder does.
func buildRows(t *testing.T, a *fixture.Account) []Row {
	t.Helper()
	var root Row
	if a.NativeCSV != nil {
		native, err := Parse(bytes.NewReader(a.NativeCSV))
		if err != nil {
			t.Fatalf("Parse(native.csv): %v", err)
		}
		nativeRoot := native.Root()
		if nativeRoot == nil {
			t.Fatal("native.csv has no root row")
		}
		root = RootRowFromNative(*nativeRoot, a.Root.MFA)
	} else {
		root = PartialRootRow(a.Root.MFA, len(a.Root.AccessKeys))
	}

	rows := []Row{root}
	policy := PasswordPolicy{MaxPasswordAge: a.PasswordPolicy.MaxPasswordAge}
	for _, u := range apiUsers(a) {
		rows = append(rows, UserRow(u, policy))
	}
	return rows
}

func TestAcceptanceBuild(t *testing.T) {
	for _, dir := range fixtureDirs(t) {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			a, err := fixture.Load(filepath.Join(dir, "account.json"))
			if err != nil {
				t.Fatal(err)
			}
			want, err := os.ReadFile(filepath.Join(dir, "expected-build.csv"))
			if err != nil {
				t.Fatal(err)
			}

			var got bytes.Buffer
			if err := Write(&got, buildRows(t, a)); err != nil {
				t.Fatalf("Write: %v", err)
			}
			if !bytes.Equal(got.Bytes(), want) {
				t.Errorf("built report differs from expected-build.csv:\n%s", lineDiff(got.String(), string(want)))
			}
		})
	}
}

func TestAcceptanceRootRowFromKeys(t *testing.T) {
	// With root credentials, the root's own keys give the slots; the
	// extra-keys fixture holds three root keys out of order.
	for _, dir := range fixtureDirs(t) {
		if filepath.Base(dir) != "extra-keys" {
			continue
		}
		a, err := fixture.Load(filepath.Join(dir, "account.json"))
		if err != nil {
			t.Fatal(err)
		}
		got := RootRowFromKeys(a.Root.MFA, apiKeys(a.Root.AccessKeys))
		native, err := Parse(bytes.NewReader(a.NativeCSV))
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got.AccessKeys, native.Root().AccessKeys[:got.KeyCount()]) {
			t.Errorf("root key slots = %v, want those of native.csv %v", got.AccessKeys, native.Root().AccessKeys)
		}
		return
	}
	t.Skip("extra-keys fixture not present")
}

func TestAcceptanceRoundTrip(t *testing.T) {
	for _, file := range fixtureCSVs(t) {
		name := filepath.Base(filepath.Dir(file)) + "/" + filepath.Base(file)
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			rep, err := Parse(bytes.NewReader(data))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if rep.Root() == nil {
				t.Errorf("Root() = nil, want the <root> row")
			}

			var written bytes.Buffer
			if err := Write(&written, rep.Rows); err != nil {
				t.Fatalf("Write: %v", err)
			}
			if !bytes.Equal(written.Bytes(), data) {
				t.Errorf("Write(Parse(file)) differs:\n%s", lineDiff(written.String(), string(data)))
			}

			var again bytes.Buffer
			if err := rep.WriteCSV(&again); err != nil {
				t.Fatalf("WriteCSV: %v", err)
			}
			if !bytes.Equal(again.Bytes(), data) {
				t.Errorf("WriteCSV(Parse(file)) differs:\n%s", lineDiff(again.String(), string(data)))
			}
		})
	}
}

func TestAcceptanceValidate(t *testing.T) {
	for _, file := range fixtureCSVs(t) {
		name := filepath.Base(filepath.Dir(file)) + "/" + filepath.Base(file)
		t.Run(name, func(t *testing.T) {
			f, err := os.Open(file)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			summary, problems := Validate(f)
			if len(problems) > 0 {
				t.Errorf("Validate problems = %v, want none", problems)
			}
			rep := mustParseFile(t, file)
			if want := len(rep.Rows) - 1; summary.Users != want {
				t.Errorf("Users = %d, want %d", summary.Users, want)
			}
			if summary.AdditionalKeyBlocks != rep.AdditionalKeyBlocks {
				t.Errorf("AdditionalKeyBlocks = %d, want %d", summary.AdditionalKeyBlocks, rep.AdditionalKeyBlocks)
			}
		})
	}
}

func mustParseFile(t testing.TB, file string) *Report {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Parse(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("Parse(%s): %v", file, err)
	}
	return rep
}

// lineDiff lists the lines that differ between got and want, with their
// line numbers, at most ten of them.
func lineDiff(got, want string) string {
	g := splitLines(got)
	w := splitLines(want)
	var out bytes.Buffer
	shown := 0
	for i := 0; i < max(len(g), len(w)) && shown < 10; i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			out.WriteString("line " + strconv.Itoa(i+1) + ":\n  got  " + gl + "\n  want " + wl + "\n")
			shown++
		}
	}
	if shown == 0 {
		out.WriteString("(lines are equal; the line endings or the final newline differ)\n")
	}
	return out.String()
}

func splitLines(s string) []string {
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}
