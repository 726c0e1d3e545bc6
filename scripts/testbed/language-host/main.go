// Command pulumi-language-nodejs is a small Node.js language host for the
// pulumi-kamal test bed, where the official host (a separate Go module) cannot
// be downloaded. It serves the LanguageRuntime calls that `pulumi preview`,
// `up`, `refresh`, `destroy` and `stack` make, and runs programs the way the
// official host does: node on @pulumi/pulumi's own `cmd/run` entry.
// Users run the official host that ships with the Pulumi CLI.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
)

func main() {
	// The engine may pass these; they are accepted and have no effect here.
	flag.String("tracing", "", "tracing endpoint (not supported by this host)")
	runtimeName := flag.String("runtime", "nodejs", "only nodejs is supported")
	showVersion := flag.Bool("version", false, "print the version and exit")
	flag.Parse()

	if *showVersion {
		fmt.Println(hostVersion())
		return
	}
	if *runtimeName != "nodejs" {
		fail(fmt.Errorf("unsupported runtime %q: this test bed host only runs nodejs", *runtimeName))
	}

	// The engine passes its own address as the last argument.
	engineAddress := ""
	if args := flag.Args(); len(args) > 0 {
		engineAddress = args[len(args)-1]
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	cancel := make(chan bool)
	go func() { <-ctx.Done(); close(cancel) }()

	// Exit when the engine goes away, so no host outlives its `pulumi` process.
	if engineAddress != "" {
		if err := rpcutil.Healthcheck(ctx, engineAddress, 5*time.Minute, stop); err != nil {
			fail(fmt.Errorf("health check of engine %s: %w", engineAddress, err))
		}
	}

	host := newHost(engineAddress)
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Cancel: cancel,
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, host)
			return nil
		},
	})
	if err != nil {
		fail(fmt.Errorf("starting the gRPC server: %w", err))
	}
	// The engine reads the port from our first line of stdout.
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		fail(fmt.Errorf("gRPC server stopped: %w", err))
	}
}

func fail(err error) {
	fmt.Fprintf(os.Stderr, "pulumi-language-nodejs (test bed): %v\n", err)
	os.Exit(1)
}
