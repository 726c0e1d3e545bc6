package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// cmd/run exits with this code when it already showed the user the error:
// the engine should then say nothing more (Bail).
const exitAfterUserMessage = 32

// Run starts node on @pulumi/pulumi's cmd/run, which connects to the
// engine's resource monitor itself. Unlike the official host there is no
// monitor proxy and no synchronous-invoke pipes (no --sync), so the SDK's
// legacy synchronous invokes are not available.
func (h *host) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	if req.GetAttachDebugger() {
		return &pulumirpc.RunResponse{Error: "attaching a debugger is not supported by the test bed language host"}, nil
	}
	opts, err := parseOptions(req.GetInfo().GetOptions().AsMap())
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	node, err := exec.LookPath("node")
	if err != nil {
		return &pulumirpc.RunResponse{Error: "node is not on PATH: " + err.Error()}, nil
	}
	dir := req.GetInfo().GetProgramDirectory()
	runPath, err := locateRun(ctx, node, dir)
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	env, err := runEnv(req, opts)
	if err != nil {
		return &pulumirpc.RunResponse{Error: "serializing the stack config: " + err.Error()}, nil
	}
	return h.runNode(ctx, node, dir, runArgs(req, opts, runPath, h.engine()), env), nil
}

// locateRun resolves cmd/run from the program's own node_modules (the
// module name travels as an argument, not spliced into the script).
func locateRun(ctx context.Context, node, dir string) (string, error) {
	if p := os.Getenv("PULUMI_LANGUAGE_NODEJS_RUN_PATH"); p != "" {
		return p, nil
	}
	cmd := exec.CommandContext(ctx, node, "-e", "process.stdout.write(require.resolve(process.argv[1]))", "@pulumi/pulumi/cmd/run")
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("@pulumi/pulumi is not installed in %s (run npm install there): %w", dir, err)
	}
	return strings.TrimSpace(string(out)), nil
}

func (h *host) runNode(ctx context.Context, node, dir string, args, env []string) *pulumirpc.RunResponse {
	// Stops on the Cancel call or when the engine drops the request: SIGINT
	// first (the SDK finishes cleanly), a kill 5 s later.
	cmdCtx, stop := context.WithCancel(h.cancelCtx)
	defer stop()
	context.AfterFunc(ctx, stop)
	cmd := exec.CommandContext(cmdCtx, node, args...)
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 5 * time.Second
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	// Through a copy, not the file itself: node may switch a shared fd to
	// non-blocking mode, which would then break our own writes.
	cmd.Stdout = struct{ io.Writer }{os.Stdout}
	cmd.Stderr = struct{ io.Writer }{os.Stderr}

	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return &pulumirpc.RunResponse{}
	case errors.As(err, &exit) && exit.ExitCode() == exitAfterUserMessage:
		return &pulumirpc.RunResponse{Bail: true}
	case errors.As(err, &exit) && exit.ExitCode() < 0:
		return &pulumirpc.RunResponse{Error: "Program was stopped: " + exit.String()}
	case errors.As(err, &exit):
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("Program exited with non-zero exit code: %d", exit.ExitCode())}
	default:
		return &pulumirpc.RunResponse{Error: "could not run node: " + err.Error()}
	}
}
