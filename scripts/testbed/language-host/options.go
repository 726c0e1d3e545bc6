package main

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// nodeOptions are the `runtime.options` of Pulumi.yaml this host honours.
// `packagemanager` is accepted and ignored (nothing is installed).
type nodeOptions struct {
	typescript bool     // run .ts through ts-node (default true, as upstream)
	tsconfig   string   // PULUMI_NODEJS_TSCONFIG_PATH
	nodeArgs   []string // extra node arguments, split on white space (no quoting)
}

func parseOptions(opts map[string]any) (nodeOptions, error) {
	o := nodeOptions{typescript: true}
	for key, v := range opts {
		switch key {
		case "typescript":
			b, ok := v.(bool)
			if !ok {
				return o, fmt.Errorf("runtime option typescript must be true or false, got %v", v)
			}
			o.typescript = b
		case "tsconfig":
			s, ok := v.(string)
			if !ok {
				return o, fmt.Errorf("runtime option tsconfig must be a path, got %v", v)
			}
			o.tsconfig = s
		case "nodeargs":
			s, ok := v.(string)
			if !ok {
				return o, fmt.Errorf("runtime option nodeargs must be a string, got %v", v)
			}
			o.nodeArgs = strings.Fields(s)
		case "packagemanager":
		default:
			return o, fmt.Errorf("runtime option %q is not supported by the test bed language host", key)
		}
	}
	return o, nil
}

// runArgs is the command line of `node` for a RunRequest: cmd/run's own
// flags (see its usage text), then the program and its arguments.
func runArgs(req *pulumirpc.RunRequest, opts nodeOptions, runPath, engine string) []string {
	args := append([]string{}, opts.nodeArgs...)
	args = append(args, runPath)
	flag := func(name, value string) {
		if value != "" {
			args = append(args, "--"+name, value)
		}
	}
	info := req.GetInfo()
	flag("monitor", req.GetMonitorAddress())
	flag("engine", engine)
	flag("organization", req.GetOrganization())
	flag("project", req.GetProject())
	flag("root-directory", info.GetRootDirectory())
	flag("stack", req.GetStack())
	flag("pwd", info.GetProgramDirectory())
	if req.GetDryRun() {
		args = append(args, "--dry-run")
	}
	if req.GetParallel() != 0 {
		flag("parallel", strconv.Itoa(int(req.GetParallel())))
	}
	entry := info.GetEntryPoint()
	if entry == "" {
		entry = "."
	}
	args = append(args, entry)
	return append(args, req.GetArgs()...)
}

// runEnv is what the program reads from its environment: the stack config
// and its secret keys as JSON (the SDK reads PULUMI_CONFIG and
// PULUMI_CONFIG_SECRET_KEYS), and the TypeScript switches.
func runEnv(req *pulumirpc.RunRequest, opts nodeOptions) ([]string, error) {
	config := req.GetConfig()
	if config == nil {
		config = map[string]string{}
	}
	configJSON, err := json.Marshal(config)
	if err != nil {
		return nil, err
	}
	secretKeys := req.GetConfigSecretKeys()
	if secretKeys == nil {
		secretKeys = []string{}
	}
	secretsJSON, err := json.Marshal(secretKeys)
	if err != nil {
		return nil, err
	}
	env := []string{"PULUMI_CONFIG=" + string(configJSON), "PULUMI_CONFIG_SECRET_KEYS=" + string(secretsJSON)}
	if opts.typescript {
		env = append(env, "PULUMI_NODEJS_TYPESCRIPT=true")
	}
	if opts.tsconfig != "" {
		env = append(env, "PULUMI_NODEJS_TSCONFIG_PATH="+opts.tsconfig)
	}
	return env, nil
}
