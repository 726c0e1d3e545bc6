package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"
)

func request(t *testing.T, dir string, options map[string]any) *pulumirpc.RunRequest {
	t.Helper()
	opts, err := structpb.NewStruct(options)
	if err != nil {
		t.Fatal(err)
	}
	return &pulumirpc.RunRequest{
		Project: "web", Stack: "dev", Organization: "organization", MonitorAddress: "127.0.0.1:1234",
		DryRun: true, Parallel: 16, Args: []string{"extra"},
		Config:           map[string]string{"web:image": "app:v1", "web:password": "s3cret"},
		ConfigSecretKeys: []string{"web:password"},
		Info:             &pulumirpc.ProgramInfo{RootDirectory: dir, ProgramDirectory: dir, EntryPoint: "index.ts", Options: opts},
	}
}

func TestRunArgsFollowCmdRunFlags(t *testing.T) {
	req := request(t, "/p", nil)
	got := runArgs(req, nodeOptions{nodeArgs: []string{"--max-old-space-size=512"}}, "/nm/run/index.js", "127.0.0.1:99")
	want := []string{"--max-old-space-size=512", "/nm/run/index.js", "--monitor", "127.0.0.1:1234", "--engine", "127.0.0.1:99",
		"--organization", "organization", "--project", "web", "--root-directory", "/p", "--stack", "dev", "--pwd", "/p",
		"--dry-run", "--parallel", "16", "index.ts", "extra"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("runArgs:\n got %q\nwant %q", got, want)
	}
	req.DryRun, req.Parallel, req.Info.EntryPoint = false, 0, ""
	got = runArgs(req, nodeOptions{}, "run.js", "")
	if strings.Contains(strings.Join(got, " "), "--dry-run") || strings.Contains(strings.Join(got, " "), "--parallel") || got[len(got)-2] != "." {
		t.Fatalf("an update with no entry point: %q", got)
	}
}

func TestOptions(t *testing.T) {
	o, err := parseOptions(map[string]any{"typescript": false, "tsconfig": "tsconfig.pulumi.json", "nodeargs": "--a  --b", "packagemanager": "npm"})
	if err != nil || o.typescript || o.tsconfig != "tsconfig.pulumi.json" || !reflect.DeepEqual(o.nodeArgs, []string{"--a", "--b"}) {
		t.Fatalf("got %+v, %v", o, err)
	}
	if o, _ := parseOptions(nil); !o.typescript {
		t.Fatal("typescript must default to true")
	}
	if _, err := parseOptions(map[string]any{"typescript": "yes"}); err == nil || !strings.Contains(err.Error(), "typescript") {
		t.Fatalf("a non-boolean typescript option: %v", err)
	}
	if _, err := parseOptions(map[string]any{"binary": "x"}); err == nil || !strings.Contains(err.Error(), `"binary"`) {
		t.Fatalf("an unknown option: %v", err)
	}
}

func TestEnvCarriesConfigAndSecretKeys(t *testing.T) {
	env, err := runEnv(request(t, "/p", nil), nodeOptions{typescript: true, tsconfig: "x.json"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{`PULUMI_CONFIG={"web:image":"app:v1","web:password":"s3cret"}`, `PULUMI_CONFIG_SECRET_KEYS=["web:password"]`,
		"PULUMI_NODEJS_TYPESCRIPT=true", "PULUMI_NODEJS_TSCONFIG_PATH=x.json"}
	if !reflect.DeepEqual(env, want) {
		t.Fatalf("got %q", env)
	}
	env, _ = runEnv(&pulumirpc.RunRequest{}, nodeOptions{})
	if !reflect.DeepEqual(env, []string{"PULUMI_CONFIG={}", "PULUMI_CONFIG_SECRET_KEYS=[]"}) {
		t.Fatalf("no config: %q", env)
	}
}

func writeJSON(t *testing.T, path string, v any) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(v)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestPluginsAndDependenciesFromNodeModules(t *testing.T) {
	dir := t.TempDir()
	nm := filepath.Join(dir, "node_modules")
	writeJSON(t, filepath.Join(dir, "package.json"), map[string]any{"dependencies": map[string]string{"@pulumi/pulumi": "^3.0.0", "pulumi-kamal": "file:x.tgz"}})
	writeJSON(t, filepath.Join(nm, "@pulumi/pulumi/package.json"), map[string]any{"name": "@pulumi/pulumi", "version": "3.274.0"})
	writeJSON(t, filepath.Join(nm, "pulumi-kamal/package.json"), map[string]any{"name": "pulumi-kamal", "version": "0.1.0"})
	writeJSON(t, filepath.Join(nm, "@pulumi/random/package.json"), map[string]any{"name": "@pulumi/random", "version": "4.1.0", "pulumi": map[string]any{"resource": true}})
	writeJSON(t, filepath.Join(nm, "pulumi-kamal/node_modules/third/package.json"),
		map[string]any{"name": "third", "version": "1.0.0", "pulumi": map[string]any{"resource": true, "name": "thirdp", "server": "https://example.invalid"}})
	writeJSON(t, filepath.Join(nm, "unnamed/package.json"), map[string]any{"name": "unnamed", "version": "1.0.0", "pulumi": map[string]any{"resource": true}})

	h := newHost("")
	info := &pulumirpc.ProgramInfo{ProgramDirectory: dir}
	res, err := h.GetRequiredPackages(context.Background(), &pulumirpc.GetRequiredPackagesRequest{Info: info})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range res.Packages {
		got = append(got, p.Kind+":"+p.Name+"@"+p.Version+" "+p.Server)
	}
	want := []string{"resource:random@v4.1.0 ", "resource:thirdp@v1.0.0 https://example.invalid"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("packages: got %q want %q", got, want)
	}

	deps, err := h.GetProgramDependencies(context.Background(), &pulumirpc.GetProgramDependenciesRequest{Info: info})
	if err != nil {
		t.Fatal(err)
	}
	got = nil
	for _, d := range deps.Dependencies {
		got = append(got, d.Name+"@"+d.Version)
	}
	if !reflect.DeepEqual(got, []string{"@pulumi/pulumi@3.274.0", "pulumi-kamal@0.1.0"}) {
		t.Fatalf("dependencies: %q", got)
	}
	// A program in a subdirectory without its own package.json uses the one above.
	sub := &pulumirpc.ProgramInfo{ProgramDirectory: filepath.Join(dir, "infra")}
	deps, err = h.GetProgramDependencies(context.Background(), &pulumirpc.GetProgramDependenciesRequest{Info: sub})
	if err != nil || len(deps.Dependencies) != 2 {
		t.Fatalf("a nested program's dependencies: %v, %v", deps, err)
	}
}

// A stand-in for cmd/run records what node received and exits with a chosen code.
func TestRunStartsNodeAndMapsExitCodes(t *testing.T) {
	dir := t.TempDir()
	record := filepath.Join(dir, "seen.json")
	script := filepath.Join(dir, "run.js")
	src := `require("fs").writeFileSync(process.env.RECORD, JSON.stringify({argv: process.argv.slice(2), cwd: process.cwd(),
	  config: process.env.PULUMI_CONFIG, ts: process.env.PULUMI_NODEJS_TYPESCRIPT})); process.exit(Number(process.env.CODE));`
	if err := os.WriteFile(script, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PULUMI_LANGUAGE_NODEJS_RUN_PATH", script)
	t.Setenv("RECORD", record)
	h := newHost("127.0.0.1:7")

	for code, want := range map[string]*pulumirpc.RunResponse{
		"0":  {},
		"32": {Bail: true},
		"3":  {Error: "Program exited with non-zero exit code: 3"},
	} {
		t.Setenv("CODE", code)
		res, err := h.Run(context.Background(), request(t, dir, map[string]any{"typescript": true}))
		if err != nil || res.Error != want.Error || res.Bail != want.Bail {
			t.Fatalf("exit %s: got %v, %v", code, res, err)
		}
	}
	var seen struct {
		Argv        []string
		Cwd, Config string
		Ts          string
	}
	b, _ := os.ReadFile(record)
	if err := json.Unmarshal(b, &seen); err != nil {
		t.Fatal(err)
	}
	if seen.Argv[0] != "--monitor" || seen.Argv[3] != "127.0.0.1:7" || seen.Cwd != dir || seen.Ts != "true" ||
		!strings.Contains(seen.Config, `"web:image":"app:v1"`) {
		t.Fatalf("node saw %+v", seen)
	}
}

// The engine's Cancel (Ctrl-C) interrupts a running program.
func TestCancelInterruptsTheProgram(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "run.js")
	if err := os.WriteFile(script, []byte(`setTimeout(() => process.exit(0), 60000);`), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PULUMI_LANGUAGE_NODEJS_RUN_PATH", script)
	h := newHost("127.0.0.1:7")
	done := make(chan *pulumirpc.RunResponse)
	go func() {
		res, _ := h.Run(context.Background(), request(t, dir, nil))
		done <- res
	}()
	time.Sleep(500 * time.Millisecond)
	if _, err := h.Cancel(context.Background(), &emptypb.Empty{}); err != nil {
		t.Fatal(err)
	}
	select {
	case res := <-done:
		if !strings.Contains(res.Error, "Program was stopped") {
			t.Fatalf("a cancelled run: %v", res)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Cancel did not stop the program")
	}
}
