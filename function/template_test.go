package main

import (
	"os"
	"slices"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/credreport/credreport/internal/ram"
	"github.com/credreport/credreport/internal/store/ossdriver"
)

// rosTemplate is the part of template.yaml the checks read.
type rosTemplate struct {
	FormatVersion string                 `yaml:"ROSTemplateFormatVersion"`
	Parameters    map[string]rosParam    `yaml:"Parameters"`
	Rules         map[string]any         `yaml:"Rules"`
	Resources     map[string]rosResource `yaml:"Resources"`
	Outputs       map[string]any         `yaml:"Outputs"`
}

type rosParam struct {
	Type          string   `yaml:"Type"`
	Default       any      `yaml:"Default"`
	AllowedValues []string `yaml:"AllowedValues"`
}

type rosResource struct {
	Type       string         `yaml:"Type"`
	Properties map[string]any `yaml:"Properties"`
}

func loadTemplate(t *testing.T) rosTemplate {
	t.Helper()
	data, err := os.ReadFile("../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var tpl rosTemplate
	if err := yaml.Unmarshal(data, &tpl); err != nil {
		t.Fatalf("template.yaml is not valid YAML: %v", err)
	}
	return tpl
}

func resourcesOfType(tpl rosTemplate, typ string) []rosResource {
	var out []rosResource
	names := make([]string, 0, len(tpl.Resources))
	for name := range tpl.Resources {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if r := tpl.Resources[name]; r.Type == typ {
			out = append(out, r)
		}
	}
	return out
}

func TestTemplateFunction(t *testing.T) {
	tpl := loadTemplate(t)
	if tpl.FormatVersion != "2015-09-01" {
		t.Errorf("ROSTemplateFormatVersion = %q", tpl.FormatVersion)
	}
	fns := resourcesOfType(tpl, "ALIYUN::FC3::Function")
	if len(fns) != 1 {
		t.Fatalf("%d ALIYUN::FC3::Function resources, want 1", len(fns))
	}
	fn := fns[0].Properties
	// The Makefile builds the binary as dist/main, and the go1 runtime runs
	// the binary that the handler names.
	if fn["Handler"] != "main" || fn["Runtime"] != "go1" {
		t.Errorf("Handler %v, Runtime %v: want main and go1", fn["Handler"], fn["Runtime"])
	}
	known := map[string]bool{}
	for _, v := range envVars {
		known[v.name] = true
	}
	vars, _ := fn["EnvironmentVariables"].(map[string]any)
	if len(vars) == 0 {
		t.Fatal("the function has no EnvironmentVariables")
	}
	for name := range vars {
		if !known[name] {
			t.Errorf("template sets %s, which the function's configuration does not read", name)
		}
	}
	if _, ok := vars["CREDREPORT_BUCKET"]; !ok {
		t.Errorf("template does not set the required CREDREPORT_BUCKET")
	}
}

func TestTemplateTriggers(t *testing.T) {
	tpl := loadTemplate(t)
	types := map[string]map[string]any{}
	for _, tr := range resourcesOfType(tpl, "ALIYUN::FC3::Trigger") {
		typ, _ := tr.Properties["TriggerType"].(string)
		cfg, _ := tr.Properties["TriggerConfig"].(map[string]any)
		types[typ] = cfg
	}
	if _, ok := types["timer"]["cronExpression"]; !ok {
		t.Errorf("no timer trigger with a cronExpression: %v", types)
	}
	httpCfg, ok := types["http"]
	if !ok {
		t.Fatalf("no http trigger")
	}
	if p := tpl.Parameters["HttpAuthType"]; p.Default != "function" || !slices.Equal(p.AllowedValues, []string{"function", "anonymous"}) {
		t.Errorf("HttpAuthType parameter = %+v, want default function, allowed function and anonymous", p)
	}
	if ref, _ := httpCfg["authType"].(map[string]any); ref["Ref"] != "HttpAuthType" {
		t.Errorf("http trigger authType = %v, want Ref HttpAuthType", httpCfg["authType"])
	}
	rules, _ := yaml.Marshal(tpl.Rules)
	if !strings.Contains(string(rules), "anonymous") || !strings.Contains(string(rules), "AuthToken") {
		t.Errorf("no rule requires AuthToken for an anonymous trigger:\n%s", rules)
	}
	outputs, _ := yaml.Marshal(tpl.Outputs)
	if !strings.Contains(string(outputs), "UrlInternet") {
		t.Errorf("no output gives the trigger URL:\n%s", outputs)
	}
}

// policyActions collects every Action of the role's inline policies.
func policyActions(t *testing.T, tpl rosTemplate) []string {
	t.Helper()
	roles := resourcesOfType(tpl, "ALIYUN::RAM::Role")
	if len(roles) != 1 {
		t.Fatalf("%d ALIYUN::RAM::Role resources, want 1", len(roles))
	}
	var actions []string
	policies, _ := roles[0].Properties["Policies"].([]any)
	for _, p := range policies {
		doc, _ := p.(map[string]any)["PolicyDocument"].(map[string]any)
		statements, _ := doc["Statement"].([]any)
		for _, s := range statements {
			st, _ := s.(map[string]any)
			if st["Effect"] != "Allow" {
				t.Errorf("statement with Effect %v", st["Effect"])
			}
			switch a := st["Action"].(type) {
			case string:
				actions = append(actions, a)
			case []any:
				for _, x := range a {
					actions = append(actions, x.(string))
				}
			}
		}
	}
	return actions
}

func TestTemplatePolicyLeastPrivilege(t *testing.T) {
	tpl := loadTemplate(t)
	granted := policyActions(t, tpl)
	for _, a := range granted {
		if strings.Contains(a, "*") {
			t.Errorf("the policy grants the wildcard action %q", a)
		}
	}
	needed := append(slices.Clone(ram.RequiredActions), ossdriver.RequiredActions...)
	for _, a := range needed {
		if !slices.Contains(granted, a) {
			t.Errorf("the policy misses %s, which the function calls", a)
		}
	}
	for _, a := range granted {
		if !slices.Contains(needed, a) {
			t.Errorf("the policy grants %s, which the function never calls", a)
		}
	}
}
