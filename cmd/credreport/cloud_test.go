package main

import (
	"strings"
	"testing"
)

func TestWithoutFileContentHidesSecrets(t *testing.T) {
	msg := `unmarshal aliyun cli config from '/home/u/.aliyun/config.json' failed: {"profiles":[{"access_key_secret":"s3cret",}]}`
	got := withoutFileContent(msg)
	if strings.Contains(got, "s3cret") || !strings.Contains(got, "config.json") {
		t.Errorf("withoutFileContent = %q, want the path without the file content", got)
	}
	if plain := "profile prod not found"; withoutFileContent(plain) != plain {
		t.Errorf("withoutFileContent changed a message without file content")
	}
}
